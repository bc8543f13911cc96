package jsonin_test

import (
	"errors"
	"testing"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/jsonin"
)

func TestDecode(t *testing.T) {
	type item struct {
		ID    string `json:"id"`
		Count int    `json:"count"`
	}
	for _, tc := range []struct {
		name, body string
		ok         bool
		field      string
	}{
		{"one object", `{"id":"a","count":2}`, true, ""},
		{"unknown fields are ignored", `{"id":"a","later":true}`, true, ""},
		{"trailing space", "{\"id\":\"a\"}\n", true, ""},
		{"data after the value", `{"id":"a"}{"id":"b"}`, false, ""},
		{"syntax", `{"id":`, false, ""},
		{"empty", ``, false, ""},
		{"wrong type names the field", `{"count":"5"}`, false, "count"},
		{"number as id", `{"id":5}`, false, "id"},
		{"not an object", `[1]`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v item
			err := jsonin.Decode([]byte(tc.body), &v)
			if tc.ok {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			var f *fault.Error
			if !errors.As(err, &f) || f.Code != fault.Malformed || f.Key != jsonin.KeyUnreadable {
				t.Fatalf("err %#v, want a Malformed fault", err)
			}
			if tc.field != "" && !f.Has(tc.field) {
				t.Errorf("fields %v, want %q", f.Fields, tc.field)
			}
			if tc.field == "" && len(f.Fields) != 0 {
				t.Errorf("fields %v, want none", f.Fields)
			}
		})
	}
}
