package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyGeneratedOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := LoadKey(dir, "")
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key: %v", err)
	}
	if _, err := LoadKey(dir, "dG9vIHNob3J0"); err == nil {
		t.Fatal("a short env key must be refused")
	}
}

func TestSealOpenAndContextBinding(t *testing.T) {
	s, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Seal("de politie kwam binnen", "case:1:description")
	if bytes.Contains(c, []byte("politie")) {
		t.Fatal("plaintext visible in sealed value")
	}
	p, err := s.Open(c, "case:1:description")
	if err != nil || p != "de politie kwam binnen" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := s.Open(c, "case:2:description"); err != ErrOpen {
		t.Fatalf("a value moved to another field must not open: %v", err)
	}
	if s.Seal("", "x") != nil {
		t.Fatal("empty must seal to nil")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(c, "case:1:description"); err != ErrOpen {
		t.Fatal("another key must not open")
	}
	hash := func(s *Sealer) []byte {
		h, err := s.ReceiptHash(t.Context(), "1234567890123456")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if !bytes.Equal(hash(s), hash(s)) {
		t.Fatal("receipt hash must be deterministic")
	}
	if bytes.Equal(hash(s), hash(other)) {
		t.Fatal("receipt hash must depend on the installation key")
	}
}
