// Package seal encrypts personal fields at rest (AES-256-GCM) and derives
// the installation's other secrets (receipt-hash salt, rate-limit keys)
// from the one secret key, so every instance of a desk that shares the key
// shares them too.
package seal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// KeyFile is the name of the generated key in the data folder.
const KeyFile = "secret.key"

// ErrOpen is returned when a sealed value cannot be opened: wrong key or
// tampered data.
var ErrOpen = errors.New("seal: cannot open sealed value")

// LoadKey returns the current 32-byte secret key: from envKey when given,
// otherwise from dataDir/secret.key, generating it (mode 0600) on first use.
// LoadRing gives the whole ring.
func LoadKey(dataDir, envKey string) ([]byte, error) {
	r, err := LoadRing(dataDir, envKey)
	if err != nil {
		return nil, err
	}
	return r.Keys[0], nil
}

// readPrivate reads the key file, refusing it when its group or others may
// read or change it: whoever can read it can open every sealed field.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, &exposedError{path: path, perm: perm}
	}
	return io.ReadAll(f)
}

type exposedError struct {
	path string
	perm os.FileMode
}

func (e *exposedError) Error() string {
	return fmt.Sprintf("seal: the secret key %s has mode %04o: its group or others may read it, and it opens "+
		"every sealed field. Make it readable by the desk's user only (chmod 600 %s) and start again", e.path, e.perm, e.path)
}

// Sealer seals and opens values with keys derived from the secret keys of
// a Ring: the first seals, every one opens (see ring.go for the format).
type Sealer struct {
	keys        []sealKey // keys[0] seals
	receiptSalt []byte
	macKey      []byte
	desk        *Desk
	// receiptHashes counts ReceiptHash calls: each is ~20 ms of a core
	// and 19 MiB, so tests hold every route to one per request.
	receiptHashes atomic.Int64
}

// New builds a Sealer from the 32-byte secret key.
func New(key []byte) (*Sealer, error) {
	return NewRing(Ring{Keys: [][]byte{key}})
}

// Seal encrypts plain with the current key, recording that key's id in
// front (see ring.go). context binds the ciphertext to where it is stored
// (for example "case:<id>:description") so it cannot be moved elsewhere.
// An empty plain seals to nil, so optional fields stay absent.
func (s *Sealer) Seal(plain, context string) []byte {
	if plain == "" {
		return nil
	}
	k := s.keys[0]
	out := make([]byte, 0, headerLen+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	out = append(append(out, headerMagic), k.id[:]...)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: no randomness: " + err.Error()) // the OS is broken; nothing safe to do
	}
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, []byte(plain), []byte(context))
}

// Open decrypts what Seal made with the same context, under any key of
// the ring, including values sealed before key ids were recorded.
func (s *Sealer) Open(sealed []byte, context string) (string, error) {
	p, _, err := s.open(sealed, context)
	return p, err
}

// ReceiptHash is the slow, keyed hash under which a receipt is stored and
// looked up: argon2id with the installation salt (19 MiB, t=2, as OWASP
// advises), so a stolen database cannot be searched for receipts cheaply.
// It waits its turn at the Hashes gate: gate.ErrBusy when the wait is over.
func (s *Sealer) ReceiptHash(ctx context.Context, receipt string) ([]byte, error) {
	s.receiptHashes.Add(1)
	return IDKey(ctx, []byte(receipt), s.receiptSalt, 2, 19*1024, 1, 32)
}

// ReceiptHashes is how many receipt hashes this Sealer was asked for.
func (s *Sealer) ReceiptHashes() int64 { return s.receiptHashes.Load() }

// MAC is a keyed hash for values that must be compared but not revealed
// (idempotency fingerprints, rate-limit keys).
func (s *Sealer) MAC(parts ...string) []byte {
	m := hmac.New(sha256.New, s.macKey)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s", len(p), p)
	}
	return m.Sum(nil)
}
