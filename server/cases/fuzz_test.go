package cases

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzReportJSON: any body of POST /api/v1/reports (and of each synced
// report) is decoded, normalised and validated without panicking, and what
// passes keeps every limit of the contract.
func FuzzReportJSON(f *testing.F) {
	f.Add([]byte(`{"kind":"question","description":"Mag de verhuurder sleutelgeld vragen?","wish":"advice","identity":{"mode":"anonymous"},"language":"nl"}`))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in Input
		if json.Unmarshal(body, &in) != nil {
			return
		}
		in.Normalize()
		again := in
		again.Normalize()
		if again != in {
			t.Fatalf("Normalize is not stable: %+v then %+v", in, again)
		}
		if in.Validate(now) != nil {
			return
		}
		if n := utf8.RuneCountInString(in.Description); n == 0 || n > MaxDescription {
			t.Fatalf("a description of %d characters passed", n)
		}
		for _, s := range []string{in.About, in.Identity.Name, in.Identity.Contact} {
			if utf8.RuneCountInString(s) > MaxShort {
				t.Fatalf("a short field of %d characters passed", utf8.RuneCountInString(s))
			}
			if strings.ContainsFunc(s, forbiddenInShort) {
				t.Fatalf("a control character passed in a short field: %q", s)
			}
		}
		if in.Receipt != "" && !ValidReceipt(in.Receipt) {
			t.Fatalf("receipt %q passed", in.Receipt)
		}
	})
}

// FuzzReceipt: what people type as a receipt is normalised stably, and
// only 16 digits are ever taken as one.
func FuzzReceipt(f *testing.F) {
	f.Add("1234 5678 9012 3456")
	f.Add("1234-5678-9012-3456")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeReceipt(s)
		if NormalizeReceipt(n) != n {
			t.Fatalf("NormalizeReceipt(%q) = %q is not stable", s, n)
		}
		if ValidReceipt(n) {
			if len(n) != 16 || strings.Trim(n, "0123456789") != "" {
				t.Fatalf("%q taken as a receipt", n)
			}
		}
		_ = StrongReceipt(n)
	})
}
