package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A sealed value is headerMagic, the 4-byte id of the key that sealed it,
// the nonce and the AES-GCM ciphertext. Values sealed before key ids were
// recorded are nonce and ciphertext only; Open still reads them (it tries
// every key of the ring when the header does not name one that opens), and
// `gehoord keys rotate` rewrites them in the new form.
const (
	headerMagic = 0xA7
	headerLen   = 5
)

// Ring is the installation's secret keys. Keys[0] seals; every key opens.
// ReceiptSalt and MACKey, when set, are the receipt-hash salt and MAC key
// derived from the key the desk started with: receipts are stored only as
// hashes and MACs name things (idempotency, recovery codes, push
// endpoints), so they cannot be recomputed under a new key and must stay
// the same for ever. When unset they are derived from Keys[0], as before
// rotation existed. Storing the two derived values, not the old key, lets
// an old key leave the ring entirely once every value is re-sealed.
//
// Text form (the key file, or GEHOORD_SECRET_KEY with lines separated by
// newlines or ";"):
//
//	<base64 current key>
//	old <base64 key>                 (any number: keys that only open)
//	hashes <base64 salt> <base64 mac>
type Ring struct {
	Keys        [][]byte
	ReceiptSalt []byte
	MACKey      []byte
}

// ParseRing reads the text form; a single base64 key is a ring of one.
func ParseRing(text string) (Ring, error) {
	var r Ring
	var current []byte
	dec := func(v string) ([]byte, error) {
		v = strings.TrimSpace(v)
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			b, err = base64.RawURLEncoding.DecodeString(v)
		}
		return b, err
	}
	for _, line := range strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == ';' }) {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case len(f) == 1:
			if current != nil {
				return Ring{}, errors.New("seal: the key names two current keys")
			}
			k, err := dec(f[0])
			if err != nil || len(k) != 32 {
				return Ring{}, errors.New("seal: the current key is not 32 bytes in base64")
			}
			current = k
		case f[0] == "old" && len(f) == 2:
			k, err := dec(f[1])
			if err != nil || len(k) != 32 {
				return Ring{}, errors.New("seal: an old key is not 32 bytes in base64")
			}
			r.Keys = append(r.Keys, k)
		case f[0] == "hashes" && len(f) == 3:
			salt, err1 := dec(f[1])
			mac, err2 := dec(f[2])
			if err1 != nil || err2 != nil || len(salt) != 16 || len(mac) != 32 {
				return Ring{}, errors.New("seal: the hashes line is not a 16-byte salt and a 32-byte MAC key in base64")
			}
			r.ReceiptSalt, r.MACKey = salt, mac
		default:
			return Ring{}, errors.New("seal: the key has a line that is not a key, \"old <key>\" or \"hashes <salt> <mac>\"")
		}
	}
	if current == nil {
		return Ring{}, errors.New("seal: the key has no current key")
	}
	r.Keys = append([][]byte{current}, r.Keys...)
	return r, nil
}

// Text is the ring's text form, as written to the key file. It is the
// secret itself: never log it.
func (r Ring) Text() string {
	enc := base64.StdEncoding.EncodeToString
	var b strings.Builder
	for i, k := range r.Keys {
		if i > 0 {
			b.WriteString("old ")
		}
		b.WriteString(enc(k) + "\n")
	}
	if r.ReceiptSalt != nil {
		b.WriteString("hashes " + enc(r.ReceiptSalt) + " " + enc(r.MACKey) + "\n")
	}
	return b.String()
}

// LoadRing returns the ring: from envKey when given, otherwise from
// dataDir/secret.key, generating a key (mode 0600) on first use.
func LoadRing(dataDir, envKey string) (Ring, error) {
	r, err := ReadRing(dataDir, envKey)
	if !errors.Is(err, os.ErrNotExist) {
		return r, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Ring{}, fmt.Errorf("seal: create data folder: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return Ring{}, fmt.Errorf("seal: generate key: %w", err)
	}
	// O_EXCL: if two processes start at once, only one key is ever written.
	f, err := os.OpenFile(filepath.Join(dataDir, KeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return ReadRing(dataDir, "")
	}
	if err != nil {
		return Ring{}, fmt.Errorf("seal: write key: %w", err)
	}
	defer f.Close()
	r = Ring{Keys: [][]byte{k}}
	if _, err := f.WriteString(r.Text()); err != nil {
		return Ring{}, fmt.Errorf("seal: write key: %w", err)
	}
	return r, f.Sync()
}

// ReadRing is LoadRing without ever making a key: an error wrapping
// os.ErrNotExist when there is none (a restore must not invent one).
func ReadRing(dataDir, envKey string) (Ring, error) {
	if strings.TrimSpace(envKey) != "" {
		r, err := ParseRing(envKey)
		if err != nil {
			return Ring{}, fmt.Errorf("%w (GEHOORD_SECRET_KEY must be a 32-byte key in base64, or a key ring)", err)
		}
		return r, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := readPrivate(path)
	if err != nil {
		var open *exposedError
		if errors.As(err, &open) || errors.Is(err, os.ErrNotExist) {
			return Ring{}, err
		}
		return Ring{}, fmt.Errorf("seal: read key: %w", err)
	}
	r, err := ParseRing(string(b))
	if err != nil {
		return Ring{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return r, nil
}

// WriteRing replaces dataDir/secret.key with r, atomically (a new file
// renamed over the old), so a crash leaves the old ring or the new one.
func WriteRing(dataDir string, r Ring) error {
	path := filepath.Join(dataDir, KeyFile)
	tmp := path + ".new"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("seal: write key: %w", err)
	}
	_, err = f.WriteString(r.Text())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("seal: write key: %w", err)
	}
	if d, err := os.Open(dataDir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Rotated is the ring with a fresh current key: the present keys stay to
// open what they sealed, and the hash secrets are carried over.
func (r Ring) Rotated() (Ring, error) {
	s, err := NewRing(r)
	if err != nil {
		return Ring{}, err
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return Ring{}, fmt.Errorf("seal: generate key: %w", err)
	}
	return Ring{Keys: append([][]byte{k}, r.Keys...), ReceiptSalt: s.receiptSalt, MACKey: s.macKey}, nil
}

// CurrentOnly is the ring without its old keys, for when nothing sealed
// with them is left.
func (r Ring) CurrentOnly() Ring {
	return Ring{Keys: r.Keys[:1], ReceiptSalt: r.ReceiptSalt, MACKey: r.MACKey}
}

type sealKey struct {
	id   [4]byte
	aead cipher.AEAD
}

// keyID names a key without revealing it: a value derived from it.
func keyID(key []byte) ([4]byte, error) {
	var id [4]byte
	b, err := hkdf.Key(sha256.New, key, nil, "gehoord key id v1", 4)
	copy(id[:], b)
	return id, err
}

// KeyID is the id recorded in front of values the key seals (8 hex digits).
func KeyID(key []byte) string {
	id, _ := keyID(key)
	return hex.EncodeToString(id[:])
}

// NewRing builds a Sealer from a ring.
func NewRing(r Ring) (*Sealer, error) {
	if len(r.Keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	s := &Sealer{}
	for _, key := range r.Keys {
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
		id, err := keyID(key)
		if err != nil {
			return nil, fmt.Errorf("seal: derive key id: %w", err)
		}
		s.keys = append(s.keys, sealKey{id: id, aead: aead})
	}
	desk, err := newDesk(r.Keys)
	if err != nil {
		return nil, err
	}
	s.desk = desk
	if r.ReceiptSalt != nil {
		if len(r.ReceiptSalt) != 16 || len(r.MACKey) != 32 {
			return nil, errors.New("seal: the receipt salt must be 16 bytes and the MAC key 32")
		}
		s.receiptSalt, s.macKey = bytes.Clone(r.ReceiptSalt), bytes.Clone(r.MACKey)
		return s, nil
	}
	if s.receiptSalt, err = hkdf.Key(sha256.New, r.Keys[0], nil, "gehoord receipt salt v1", 16); err != nil {
		return nil, fmt.Errorf("seal: derive salt: %w", err)
	}
	if s.macKey, err = hkdf.Key(sha256.New, r.Keys[0], nil, "gehoord mac v1", 32); err != nil {
		return nil, fmt.Errorf("seal: derive mac key: %w", err)
	}
	return s, nil
}

// open returns the plain text and the index of the key that opened it.
func (s *Sealer) open(sealed []byte, context string) (string, int, error) {
	if len(sealed) == 0 {
		return "", 0, nil
	}
	try := func(k sealKey, b []byte) (string, bool) {
		n := k.aead.NonceSize()
		if len(b) < n+k.aead.Overhead() {
			return "", false
		}
		p, err := k.aead.Open(nil, b[:n], b[n:], []byte(context))
		return string(p), err == nil
	}
	if len(sealed) > headerLen && sealed[0] == headerMagic {
		for i, k := range s.keys {
			if bytes.Equal(sealed[1:headerLen], k.id[:]) {
				if p, ok := try(k, sealed[headerLen:]); ok {
					return p, i, nil
				}
			}
		}
	}
	// Sealed before key ids (a random first byte may equal the magic).
	for i, k := range s.keys {
		if p, ok := try(k, sealed); ok {
			return p, i, nil
		}
	}
	return "", 0, ErrOpen
}

// Reseal returns the value sealed with the current key, and whether that
// changed anything: a value already sealed with the current key, in the
// current form, is left as it is, so re-running a rotation is cheap.
func (s *Sealer) Reseal(sealed []byte, context string) ([]byte, bool, error) {
	if len(sealed) == 0 {
		return sealed, false, nil
	}
	p, i, err := s.open(sealed, context)
	if err != nil {
		return nil, false, err
	}
	if i == 0 && sealed[0] == headerMagic && bytes.Equal(sealed[1:headerLen], s.keys[0].id[:]) {
		return sealed, false, nil
	}
	return s.Seal(p, context), true, nil
}

// CurrentKeyID is the id of the key that seals.
func (s *Sealer) CurrentKeyID() string { return hex.EncodeToString(s.keys[0].id[:]) }

// KeyIDs are the ids of every key of the ring, the current one first.
func (s *Sealer) KeyIDs() []string {
	ids := make([]string, len(s.keys))
	for i, k := range s.keys {
		ids[i] = hex.EncodeToString(k.id[:])
	}
	return ids
}

// HashCheck names the receipt salt and MAC key without revealing them, so
// a restore can tell that receipts and MACs in a backup will still match.
func (s *Sealer) HashCheck() string {
	h := sha256.New()
	h.Write([]byte("gehoord hash check v1"))
	h.Write(s.receiptSalt)
	h.Write(s.MAC("hash check"))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// HeaderMagic is the first byte of a value sealed with a recorded key id;
// the id's four bytes follow (a rotation looks for values of old keys).
const HeaderMagic = headerMagic

// CurrentKeyIDBytes is the current key's id as recorded in sealed values.
func (s *Sealer) CurrentKeyIDBytes() []byte { return bytes.Clone(s.keys[0].id[:]) }

// OldKeyIDBytes are the ids of the ring's other keys.
func (s *Sealer) OldKeyIDBytes() [][]byte {
	var out [][]byte
	for _, k := range s.keys[1:] {
		out = append(out, bytes.Clone(k.id[:]))
	}
	return out
}
