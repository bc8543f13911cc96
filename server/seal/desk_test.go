package seal

import (
	"bytes"
	"testing"
)

// The desk key is the same for every instance with the same secret key, a
// sealed item opens only with its own associated data, and another
// installation's desk cannot open it.
func TestDeskSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	a, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(key)
	kid, pub := a.Desk().PublicKey()
	_, pub2 := b.Desk().PublicKey()
	if !bytes.Equal(pub, pub2) || len(pub) != 65 {
		t.Fatalf("desk public key differs between instances or is not uncompressed P-256 (%d bytes)", len(pub))
	}
	aad := []byte("gehoord/sealed/v1|d1|dev-a|report|id-1")
	epk, iv, ct, err := SealToDesk(kid, pub, aad, []byte(`{"description":"secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("secret")) {
		t.Fatal("plaintext in the sealed item")
	}
	p, err := b.Desk().Open(kid, epk, iv, ct, aad)
	if err != nil || string(p) != `{"description":"secret"}` {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := a.Desk().Open(kid, epk, iv, ct, []byte("gehoord/sealed/v1|d1|dev-b|report|id-1")); err != ErrOpen {
		t.Fatalf("opened under another device: %v", err)
	}
	if _, err := a.Desk().Open("d9", epk, iv, ct, aad); err != ErrOpen {
		t.Fatalf("opened under an unknown key id: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Desk().Open(kid, epk, iv, ct, aad); err != ErrOpen {
		t.Fatalf("another desk opened it: %v", err)
	}
}
