package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"
)

// legacySeal is how values were sealed before key ids: nonce and
// ciphertext only. Databases hold such values; they must stay readable.
func legacySeal(t *testing.T, key []byte, plain, context string) []byte {
	enc, err := hkdf.Key(sha256.New, key, nil, "gehoord seal v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(enc)
	aead, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{headerMagic}, aead.NonceSize()) // even a nonce that looks like a header
	return aead.Seal(nonce, nonce, []byte(plain), []byte(context))
}

// TestSealedValuesRecordTheirKey: a value names the key that sealed it;
// values sealed before key ids, and values sealed with an old key of the
// ring, still open; Reseal moves them to the current key; the receipt
// hash and MACs stay the same through a rotation.
func TestSealedValuesRecordTheirKey(t *testing.T) {
	old := bytes.Repeat([]byte{7}, 32)
	s1, err := New(old)
	if err != nil {
		t.Fatal(err)
	}
	v := s1.Seal("zij belde drie keer", "case:1:description")
	if v[0] != headerMagic || hex.EncodeToString(v[1:headerLen]) != KeyID(old) || s1.CurrentKeyID() != KeyID(old) {
		t.Fatalf("sealed value does not record its key: % x", v[:headerLen])
	}
	legacy := legacySeal(t, old, "oude tekst", "case:1:about")
	if p, err := s1.Open(legacy, "case:1:about"); err != nil || p != "oude tekst" {
		t.Fatalf("a value sealed before key ids does not open: %q %v", p, err)
	}

	r, err := ParseRing(Ring{Keys: [][]byte{old}}.Text())
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := r.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRing(rotated.Text())
	if err != nil || len(back.Keys) != 2 || !bytes.Equal(back.Keys[1], old) || back.ReceiptSalt == nil {
		t.Fatalf("ring text does not round-trip: %v", err)
	}
	s2, err := NewRing(back)
	if err != nil {
		t.Fatal(err)
	}
	if ids := s2.KeyIDs(); len(ids) != 2 || ids[1] != KeyID(old) || ids[0] == ids[1] {
		t.Fatalf("key ids %v", ids)
	}
	for _, c := range []struct {
		sealed     []byte
		ctx, plain string
	}{{v, "case:1:description", "zij belde drie keer"}, {legacy, "case:1:about", "oude tekst"}} {
		if p, err := s2.Open(c.sealed, c.ctx); err != nil || p != c.plain {
			t.Fatalf("the rotated ring does not open an old value: %q %v", p, err)
		}
		re, changed, err := s2.Reseal(c.sealed, c.ctx)
		if err != nil || !changed || hex.EncodeToString(re[1:headerLen]) != s2.CurrentKeyID() {
			t.Fatalf("reseal: changed=%v %v", changed, err)
		}
		if again, changed, err := s2.Reseal(re, c.ctx); err != nil || changed || !bytes.Equal(again, re) {
			t.Fatalf("a value already under the current key was sealed again: %v %v", changed, err)
		}
		// Only the new key is needed once everything is re-sealed.
		s3, err := NewRing(back.CurrentOnly())
		if err != nil {
			t.Fatal(err)
		}
		if p, err := s3.Open(re, c.ctx); err != nil || p != c.plain {
			t.Fatalf("the new key alone does not open the re-sealed value: %v", err)
		}
		if _, err := s3.Open(c.sealed, c.ctx); !errors.Is(err, ErrOpen) {
			t.Fatalf("the new key alone opened a value of the old key: %v", err)
		}
		if _, _, err := s2.Reseal(re, "case:2:description"); !errors.Is(err, ErrOpen) {
			t.Fatalf("a value moved to another field was re-sealed: %v", err)
		}
	}
	h1, _ := s1.ReceiptHash(t.Context(), "1234567890123456")
	h2, _ := s2.ReceiptHash(t.Context(), "1234567890123456")
	if !bytes.Equal(h1, h2) || !bytes.Equal(s1.MAC("x"), s2.MAC("x")) || s1.HashCheck() != s2.HashCheck() {
		t.Fatal("rotation changed the receipt hash or the MACs")
	}
}

// TestRingFileAndEnv: the key file and GEHOORD_SECRET_KEY take a ring;
// ReadRing never makes a key.
func TestRingFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadRing(dir, ""); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadRing without a key: %v", err)
	}
	if _, err := os.Stat(dir + "/" + KeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("ReadRing wrote a key")
	}
	r, err := LoadRing(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	rot, err := r.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRing(dir, rot); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir + "/" + KeyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("written ring: %v %v", st.Mode(), err)
	}
	got, err := ReadRing(dir, "")
	if err != nil || got.Text() != rot.Text() {
		t.Fatalf("ring from file: %v", err)
	}
	k, err := LoadKey(dir, "")
	if err != nil || !bytes.Equal(k, rot.Keys[0]) {
		t.Fatalf("LoadKey does not give the current key: %v", err)
	}
	if _, err := ReadRing(t.TempDir(), "old "+rot.Text()[:44]); err == nil {
		t.Fatal("a ring without a current key was accepted")
	}
	oneLine := bytes.ReplaceAll([]byte(rot.Text()), []byte("\n"), []byte(";"))
	if got, err := ReadRing(t.TempDir(), string(oneLine)); err != nil || got.Text() != rot.Text() {
		t.Fatalf("ring from GEHOORD_SECRET_KEY with ';': %v", err)
	}
}
