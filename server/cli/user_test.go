package cli

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func TestUserAdd(t *testing.T) {
	st := storetest.New(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, _ := seal.New(key)
	var out bytes.Buffer
	err := UserAdd(t.Context(), []string{"--email", "Admin@Desk.test", "--role", "admin", "--name", "First Admin"},
		strings.NewReader("a password of some length\n"), &out, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "admin@desk.test") || strings.Contains(out.String(), "a password") {
		t.Errorf("output %q", out.String())
	}
	svc := staff.New(staff.Config{Store: st, Sealer: s})
	u, err := svc.CheckPassword(t.Context(), "admin@desk.test", "a password of some length", "")
	if err != nil || u.Role != "admin" || u.Name != "First Admin" || u.HasTOTP() {
		t.Fatalf("user %+v %v", u, err)
	}
	for _, bad := range [][]string{
		{"--email", "x@desk.test"},
		{"--email", "x@desk.test", "--role", "boss"},
		{"--email", "admin@desk.test", "--role", "admin"},
	} {
		if err := UserAdd(t.Context(), bad, strings.NewReader("a password of some length\n"), &out, st, s); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if err := UserAdd(t.Context(), []string{"--email", "y@desk.test", "--role", "handler"}, strings.NewReader("short\n"), &out, st, s); err == nil {
		t.Error("short password accepted")
	}
}
