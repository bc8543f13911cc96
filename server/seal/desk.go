package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// The desk key pair: tablets seal each case to its public key the moment
// it is saved, so a tablet's queue can be sent without the worker's
// passphrase and read by nobody but the desk. The private key is derived
// from the installation's one secret key (like the receipt salt and the MAC
// key): it is made once, sealed at rest exactly as that key is, and shared
// by every instance of the desk. P-256, because WebCrypto in every browser
// the app runs on has ECDH on it (X25519 is not in all of them).
//
// The scheme (HPKE-like, base mode): the tablet makes an ephemeral P-256
// key pair, z = ECDH(ephemeral, desk), key = HKDF-SHA256(ikm z, salt
// epk||desk public key, info "gehoord sealed v1 <key id>") → AES-256-GCM
// with a random 96-bit IV; the associated data (built by the caller) binds
// the key id, the device, the kind and the item's id, so a sealed item
// opens only as what and from whom it was sealed.

// DeskKeyID is the version of the desk key's derivation. Each key of the
// ring has its own desk key pair, named by this version and the ring key's
// id; the current ring key's pair is the one tablets seal to. Tablets send
// the id with each item, so items sealed before a rotation still open
// while the old key stays in the ring (`gehoord keys rotate` keeps it there
// until the operator removes it: see docs/operations.md).
const DeskKeyID = "d1"

// Desk holds the desk's private keys, one per ring key.
type Desk struct {
	current string
	keys    map[string]*ecdh.PrivateKey
}

func newDesk(secrets [][]byte) (*Desk, error) {
	d := &Desk{keys: map[string]*ecdh.PrivateKey{}}
	for n, secret := range secrets {
		k, err := deskKey(secret)
		if err != nil {
			return nil, err
		}
		kid := DeskKeyID + "." + KeyID(secret)
		d.keys[kid] = k
		if n == 0 {
			d.current = kid
		}
	}
	return d, nil
}

func deskKey(secret []byte) (*ecdh.PrivateKey, error) {
	for i := 0; ; i++ {
		// A P-256 scalar must be below the group order; about one seed in
		// 2^32 is not, and then the next counter is taken.
		seed, err := hkdf.Key(sha256.New, secret, nil, fmt.Sprintf("gehoord desk key %s/%d", DeskKeyID, i), 32)
		if err != nil {
			return nil, fmt.Errorf("seal: derive desk key: %w", err)
		}
		k, err := ecdh.P256().NewPrivateKey(seed)
		if err == nil {
			return k, nil
		}
		if i > 8 {
			return nil, fmt.Errorf("seal: desk key: %w", err)
		}
	}
}

// Desk is the desk key pair of this installation.
func (s *Sealer) Desk() *Desk { return s.desk }

// PublicKey is the current desk public key, uncompressed (65 bytes), and
// its id.
func (d *Desk) PublicKey() (kid string, key []byte) {
	return d.current, d.keys[d.current].PublicKey().Bytes()
}

// Open opens what a tablet sealed to the desk key kid. It fails (ErrOpen)
// for an unknown key, a tampered item or other associated data — an item
// moved to another device, kind or id.
func (d *Desk) Open(kid string, epk, iv, ct, aad []byte) ([]byte, error) {
	priv, ok := d.keys[kid]
	if !ok {
		return nil, ErrOpen
	}
	pub, err := ecdh.P256().NewPublicKey(epk)
	if err != nil {
		return nil, ErrOpen
	}
	z, err := priv.ECDH(pub)
	if err != nil {
		return nil, ErrOpen
	}
	aead, err := deskAEAD(z, epk, priv.PublicKey().Bytes(), kid)
	if err != nil || len(iv) != aead.NonceSize() {
		return nil, ErrOpen
	}
	p, err := aead.Open(nil, iv, ct, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return p, nil
}

// SealToDesk does what the tablet does (pwa/js/sealed.js); the tests use it
// to make sealed items.
func SealToDesk(kid string, deskPub, aad, plain []byte) (epk, iv, ct []byte, err error) {
	pub, err := ecdh.P256().NewPublicKey(deskPub)
	if err != nil {
		return nil, nil, nil, err
	}
	eph, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	z, err := eph.ECDH(pub)
	if err != nil {
		return nil, nil, nil, err
	}
	epk = eph.PublicKey().Bytes()
	aead, err := deskAEAD(z, epk, deskPub, kid)
	if err != nil {
		return nil, nil, nil, err
	}
	iv = make([]byte, aead.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return nil, nil, nil, err
	}
	return epk, iv, aead.Seal(nil, iv, plain, aad), nil
}

func deskAEAD(z, epk, deskPub []byte, kid string) (cipher.AEAD, error) {
	salt := append(append([]byte{}, epk...), deskPub...)
	key, err := hkdf.Key(sha256.New, z, salt, "gehoord sealed v1 "+kid, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("seal: desk cipher")
	}
	return cipher.NewGCM(block)
}
