package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/gehoord/gehoord/server/seal"
)

// Password hashing: argon2id with OWASP's minimum (19 MiB, t=2, p=1),
// stored in the PHC string format so the parameters can grow later.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword waits its turn at the process-wide hash gate
// (gate.ErrBusy when the wait is over).
func hashPassword(ctx context.Context, pw string) (string, error) {
	return encodePassword(pw, func(pw, salt []byte) ([]byte, error) {
		return seal.IDKey(ctx, pw, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	})
}

func encodePassword(pw string, idKey func(pw, salt []byte) ([]byte, error)) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("staff: no randomness: " + err.Error())
	}
	key, err := idKey([]byte(pw), salt)
	if err != nil {
		return "", err
	}
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b.EncodeToString(salt), b.EncodeToString(key)), nil
}

// dummyHash is checked against when no user matches, so a wrong e-mail
// address takes as long as a wrong password. (Made once at start-up,
// outside the gate.)
var dummyHash, _ = encodePassword("not a password of anyone", func(pw, salt []byte) ([]byte, error) {
	return argon2.IDKey(pw, salt, argonTime, argonMemory, argonThreads, argonKeyLen), nil
})

// checkPassword says whether pw matches encoded; the hash waits its turn at
// the gate (gate.ErrBusy when the wait is over).
func checkPassword(ctx context.Context, encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, nil
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, nil
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, nil
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, nil
	}
	got, err := seal.IDKey(ctx, []byte(pw), salt, t, m, p, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
