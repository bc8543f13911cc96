// Package seal encrypts personal fields at rest (AES-256-GCM) and derives
// the installation's other secrets (receipt-hash salt, rate-limit keys)
// from the one secret key, so every instance of a desk that shares the key
// shares them too.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the name of the generated key in the data folder.
const KeyFile = "secret.key"

// ErrOpen is returned when a sealed value cannot be opened: wrong key or
// tampered data.
var ErrOpen = errors.New("seal: cannot open sealed value")

// LoadKey returns the 32-byte secret key: from envKey (base64) when given,
// otherwise from dataDir/secret.key, generating it (mode 0600) on first use.
func LoadKey(dataDir, envKey string) ([]byte, error) {
	if envKey != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(envKey))
		if err != nil {
			k, err = base64.RawURLEncoding.DecodeString(strings.TrimSpace(envKey))
		}
		if err != nil || len(k) != 32 {
			return nil, errors.New("seal: GEHOORD_SECRET_KEY must be 32 bytes in base64")
		}
		return k, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := readPrivate(path)
	var open *exposedError
	if errors.As(err, &open) {
		return nil, err
	}
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("seal: %s is not a 32-byte base64 key", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("seal: read key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create data folder: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("seal: generate key: %w", err)
	}
	// O_EXCL: if two processes start at once, only one key is ever written.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey(dataDir, "")
	}
	if err != nil {
		return nil, fmt.Errorf("seal: write key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, fmt.Errorf("seal: write key: %w", err)
	}
	return k, f.Sync()
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

// Sealer seals and opens values with keys derived from the secret key.
type Sealer struct {
	aead        cipher.AEAD
	receiptSalt []byte
	macKey      []byte
	desk        *Desk
}

// New builds a Sealer from the 32-byte secret key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("seal: key must be 32 bytes")
	}
	encKey, err := hkdf.Key(sha256.New, key, nil, "gehoord seal v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("seal: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: gcm: %w", err)
	}
	salt, err := hkdf.Key(sha256.New, key, nil, "gehoord receipt salt v1", 16)
	if err != nil {
		return nil, fmt.Errorf("seal: derive salt: %w", err)
	}
	mac, err := hkdf.Key(sha256.New, key, nil, "gehoord mac v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive mac key: %w", err)
	}
	desk, err := newDesk(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, receiptSalt: salt, macKey: mac, desk: desk}, nil
}

// Seal encrypts plain. context binds the ciphertext to where it is stored
// (for example "case:<id>:description") so it cannot be moved elsewhere.
// An empty plain seals to nil, so optional fields stay absent.
func (s *Sealer) Seal(plain, context string) []byte {
	if plain == "" {
		return nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: no randomness: " + err.Error()) // the OS is broken; nothing safe to do
	}
	return s.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
}

// Open decrypts what Seal made with the same context.
func (s *Sealer) Open(sealed []byte, context string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", ErrOpen
	}
	p, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return "", ErrOpen
	}
	return string(p), nil
}

// ReceiptHash is the slow, keyed hash under which a receipt is stored and
// looked up: argon2id with the installation salt (19 MiB, t=2, as OWASP
// advises), so a stolen database cannot be searched for receipts cheaply.
// It waits its turn at the Hashes gate: gate.ErrBusy when the wait is over.
func (s *Sealer) ReceiptHash(ctx context.Context, receipt string) ([]byte, error) {
	return IDKey(ctx, []byte(receipt), s.receiptSalt, 2, 19*1024, 1, 32)
}

// MAC is a keyed hash for values that must be compared but not revealed
// (idempotency fingerprints, rate-limit keys).
func (s *Sealer) MAC(parts ...string) []byte {
	m := hmac.New(sha256.New, s.macKey)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s", len(p), p)
	}
	return m.Sum(nil)
}
