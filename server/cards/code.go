package cards

import (
	"crypto/rand"
	"strings"
)

// Alphabet is Crockford's base32: no I, L, O or U, so a code read aloud or
// typed from a card cannot be mistaken.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is the length of a card code: 8 symbols carry 40 random bits,
// about a trillion codes, so a code cannot be guessed or enumerated.
const CodeLen = 8

// NewCode returns a fresh random card code.
func NewCode() string {
	var b [5]byte // 40 bits = 8 × 5 bits
	if _, err := rand.Read(b[:]); err != nil {
		panic("cards: no randomness: " + err.Error())
	}
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	out := make([]byte, CodeLen)
	for i := CodeLen - 1; i >= 0; i-- {
		out[i] = Alphabet[v&31]
		v >>= 5
	}
	return string(out)
}

// Normalize turns what someone typed into a code: upper case, O read as 0,
// I and L as 1, hyphens and spaces dropped. It returns "" when the result
// is not a well-formed code.
func Normalize(s string) string {
	if len(s) > 4*CodeLen { // never work on long junk
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '\t', '.', '_':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(Alphabet, byte(r)) < 0 {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != CodeLen {
		return ""
	}
	return b.String()
}

// newCode is NewCode; tests replace it to force a collision.
var newCode = NewCode
