package cases

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
)

// Who made a receipt decides what happens when it clashes with another
// case's: one the desk made is simply made again; one derived from a form
// id must stay the same for every repeat of that form; one a device brought
// was already handed over, so the report still arrives under a receipt of
// the desk's and the answer does not say that the device's receipt exists.
type receiptSource int

const (
	receiptServer receiptSource = iota
	receiptForm
	receiptDevice
)

// NewReceipt makes a 16-digit receipt from a cryptographic random source,
// never a weak one (see StrongReceipt).
func NewReceipt() (string, error) {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1e16))
		if err != nil {
			return "", fmt.Errorf("cases: make receipt: %w", err)
		}
		if r := fmt.Sprintf("%016d", n); StrongReceipt(r) {
			return r, nil
		}
	}
}

// StrongReceipt says whether a receipt (16 digits, normalized) is one a
// person would not guess: at least four different digits, no pattern that
// repeats every 8 digits or fewer, and at most 13 of the 15 steps between
// neighbouring digits a repeat or a step of one up or down (0000…,
// 0123…, 1122…, 0000000012345678 all fail). A random receipt fails about
// once in two million; the outreach app checks the same before handing one
// over (pwa/js/ids.js).
func StrongReceipt(r string) bool {
	if !ValidReceipt(r) {
		return false
	}
	seen := map[byte]bool{}
	for i := range len(r) {
		seen[r[i]] = true
	}
	if len(seen) < 4 {
		return false
	}
	for p := 1; p <= 8; p++ {
		periodic := true
		for i := p; i < len(r); i++ {
			if r[i] != r[i-p] {
				periodic = false
				break
			}
		}
		if periodic {
			return false
		}
	}
	predictable := 0
	for i := 1; i < len(r); i++ {
		switch (int(r[i]) - int(r[i-1]) + 10) % 10 {
		case 0, 1, 9:
			predictable++
		}
	}
	return predictable <= 13
}

// FormReceipt is the receipt of the intake form with this id: derived from
// the id with the installation's key, so sending the same form again shows
// the same receipt, and nobody without the key can know it in advance.
func (s *Service) FormReceipt(id string) string {
	for i := 0; ; i++ {
		m := s.seal.MAC("form receipt", id, strconv.Itoa(i))
		// 128 bits reduced to 16 digits: no digit string is noticeably
		// likelier than another.
		n := new(big.Int).Mod(new(big.Int).SetBytes(m[:16]), big.NewInt(1e16))
		r := fmt.Sprintf("%016d", n)
		if StrongReceipt(r) {
			return r
		}
	}
}
