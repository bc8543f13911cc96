package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gehoord/gehoord/server/fault"
)

var errSentinel = fault.New(fault.Conflict, "test.conflict", "test: conflict")

func TestCopiesOfASentinelMatchIt(t *testing.T) {
	other := fault.New(fault.Conflict, "test.other", "test: other")
	for name, err := range map[string]error{
		"itself":  errSentinel,
		"with":    errSentinel.With("n", 3),
		"wrap":    errSentinel.Wrap(errors.New("cause")),
		"field":   errSentinel.OnField("body"),
		"wrapped": fmt.Errorf("context: %w", errSentinel.With("n", 1)),
		"twice":   errSentinel.With("n", 1).OnField("x"),
	} {
		if !errors.Is(err, errSentinel) {
			t.Errorf("%s: does not match its sentinel", name)
		}
		if errors.Is(err, other) {
			t.Errorf("%s: matches another sentinel", name)
		}
		if fault.CodeOf(err) != fault.Conflict {
			t.Errorf("%s: code %v", name, fault.CodeOf(err))
		}
	}
	if errSentinel.Args != nil || errSentinel.Fields != nil {
		t.Error("a copy changed the sentinel")
	}
}

func TestInvalidListsItsFields(t *testing.T) {
	err := fmt.Errorf("saving: %w", fault.Validation(fault.Field{Field: "body", Key: "k.body"},
		fault.Field{Field: "contact", Key: "k.contact"}, fault.Field{Field: "body", Key: "k.second"}))
	e, ok := fault.As(err)
	if !ok || e.Code != fault.Invalid || !e.Has("contact") || e.Has("name") {
		t.Fatalf("got %#v", e)
	}
	if got := e.FieldKeys()["body"]; got != "k.body" {
		t.Errorf("first problem of body: %q", got)
	}
	if len(fault.FieldsOf(err)) != 3 {
		t.Errorf("fields: %v", fault.FieldsOf(err))
	}
	if want := "error.invalid"; e.Key != want {
		t.Errorf("key %q, want %q", e.Key, want)
	}
	if msg := err.Error(); msg != "saving: invalid: error.invalid: body (k.body) contact (k.contact) body (k.second)" {
		t.Errorf("message %q", msg)
	}
}

func TestUnclassifiedIsInternal(t *testing.T) {
	if c := fault.CodeOf(errors.New("disk")); c != fault.Internal {
		t.Errorf("code %v", c)
	}
	if fault.FieldsOf(errors.New("x")) != nil {
		t.Error("fields of a plain error")
	}
}
