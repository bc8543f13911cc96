package cards

import (
	"strings"
	"testing"
)

// FuzzCardCode: whatever is typed or scanned as a card code normalises
// without panicking, to a well-formed code or to nothing.
func FuzzCardCode(f *testing.F) {
	f.Add("K7Q2-M9XD")
	f.Add("o1il-9xdm")
	f.Add(strings.Repeat("A", 200))
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if n == "" {
			return
		}
		if !Valid(n) || Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q, which is not a valid code", s, n)
		}
	})
}
