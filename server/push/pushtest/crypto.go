package pushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Claims are the VAPID JWT's claims.
type Claims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// VerifyVAPID checks an Authorization header of the form
// "vapid t=<jwt>, k=<public key>" (RFC 8292): the JWT is ES256, signed by
// k, for audience origin, expiring in the future but within 24 hours, with
// a sub that is a mailto: or https: contact and not localhost. It returns
// the claims and k.
func VerifyVAPID(header, origin string, now time.Time) (Claims, string, error) {
	var c Claims
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return c, "", fmt.Errorf("header Authorization %q is not the vapid scheme", trim(header))
	}
	var tok, k string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "t="):
			tok = part[2:]
		case strings.HasPrefix(part, "k="):
			k = part[2:]
		}
	}
	if tok == "" || k == "" {
		return c, "", errors.New("vapid header lacks t= or k=")
	}
	kb, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return c, "", fmt.Errorf("k= is not unpadded base64url: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), kb)
	if err != nil {
		return c, "", fmt.Errorf("k= is not a P-256 public key: %w", err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, "", errors.New("t= is not a JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodeJSON(parts[0], &hdr); err != nil {
		return c, "", fmt.Errorf("JWT header: %w", err)
	}
	if hdr.Alg != "ES256" {
		return c, "", fmt.Errorf("JWT alg %q, want ES256", hdr.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return c, "", errors.New("JWT signature is not 64 bytes of base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return c, "", errors.New("JWT signature does not verify against k=")
	}
	if err := decodeJSON(parts[1], &c); err != nil {
		return c, "", fmt.Errorf("JWT claims: %w", err)
	}
	if c.Aud != origin {
		return c, "", fmt.Errorf("JWT aud %q, want the endpoint's origin %q", c.Aud, origin)
	}
	exp := time.Unix(c.Exp, 0)
	if !exp.After(now) {
		return c, "", fmt.Errorf("JWT expired at %s", exp)
	}
	if exp.After(now.Add(24 * time.Hour)) {
		return c, "", fmt.Errorf("JWT exp %s is more than 24 hours ahead", exp)
	}
	if err := checkSub(c.Sub); err != nil {
		return c, "", err
	}
	return c, k, nil
}

func checkSub(sub string) error {
	switch {
	case sub == "":
		return errors.New("JWT has no sub")
	case strings.HasPrefix(sub, "mailto:"):
		a, err := mail.ParseAddress(strings.TrimPrefix(sub, "mailto:"))
		if err != nil || strings.Contains(a.Address, ":") {
			return fmt.Errorf("JWT sub %q is not a mailto: address", sub)
		}
		if local(a.Address[strings.LastIndex(a.Address, "@")+1:]) {
			return fmt.Errorf("JWT sub %q is a localhost address", sub)
		}
	case strings.HasPrefix(sub, "https:"):
		u, err := url.Parse(sub)
		if err != nil || u.Host == "" {
			return fmt.Errorf("JWT sub %q is not an https URL", sub)
		}
		if local(u.Hostname()) {
			return fmt.Errorf("JWT sub %q is a localhost address", sub)
		}
	default:
		return fmt.Errorf("JWT sub %q is neither a mailto: nor an https: address", sub)
	}
	return nil
}

func local(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func decodeJSON(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Decrypt opens an aes128gcm Web Push message (RFC 8291 with RFC 8188) with
// the user agent's private key and auth secret. Only single-record messages
// are accepted, as Web Push sends them.
func Decrypt(ua *ecdh.PrivateKey, authSecret, body []byte) ([]byte, error) {
	// Header: salt (16) | rs (4) | idlen (1) | keyid (the server's public key).
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid of %d bytes, want a 65-byte P-256 key", idlen)
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("keyid is not a P-256 public key: %w", err)
	}
	record := body[21+idlen:]
	if rs < 18 {
		return nil, fmt.Errorf("record size %d under 18", rs)
	}
	if uint32(len(record)) > rs {
		return nil, fmt.Errorf("record of %d bytes is larger than rs %d (more than one record)", len(record), rs)
	}
	if len(record) < 17 {
		return nil, errors.New("record too short")
	}
	// ecdh_secret = ECDH(ua_private, as_public)
	secret, err := ua.ECDH(asPub)
	if err != nil {
		return nil, fmt.Errorf("ECDH: %w", err)
	}
	// IKM = HKDF(salt=auth_secret, ikm=ecdh_secret,
	//            info="WebPush: info" || 0x00 || ua_public || as_public, 32)
	info := "WebPush: info\x00" + string(ua.PublicKey().Bytes()) + string(asPub.Bytes())
	ikm, err := hkdf.Key(sha256.New, secret, authSecret, info, 32)
	if err != nil {
		return nil, err
	}
	// CEK and NONCE from the message salt (RFC 8188 section 2.2, 2.3).
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// One record, sequence number 0: the nonce is used as derived.
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, errors.New("decryption failed (wrong keys or tampered body)")
	}
	// Padding: the content, a delimiter (0x02 for the last record), zeros.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 0x02 {
		return nil, errors.New("no last-record padding delimiter 0x02")
	}
	return plain[:i], nil
}
