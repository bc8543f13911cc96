package cases

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
)

// A receipt is 15 random digits and a check digit (Damm's algorithm): a
// hand copying it onto a card makes typos, and the check digit catches
// every single wrong digit and every swap of two neighbouring digits before
// anything is looked up, so a typo is told "check the digits" without
// costing her a lookup of the rate limit or the desk a slow hash. The
// tablet makes receipts the same way (pwa/js/ids.js); both are tested
// against server/cases/testdata/receipt_vectors.json.
//
// Receipts made before the check digit (16 random digits) stay valid: one
// in ten passes the check by chance, the others cannot be told from a
// typo by their digits. So while any case has a receipt that fails the
// check (cases stored before; an outreach tablet still running the old app
// may bring more), a number that fails it is still looked up, counted as
// a lookup like any other, and answered "check the digits" when it opens
// nothing. Once no such case is left (retention removes them), a number
// that fails the check is refused from its digits alone. Which of the two
// holds is asked of the database at most once a minute per instance (see
// legacyReceipts).

// damm is the quasigroup of Damm's check digit: every row and column is a
// permutation, and a*b == b*a only where a == b after the interim digit,
// which is what catches all adjacent swaps.
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammInterim runs digits through the table; it is 0 for a string whose
// last digit is its check digit. ok is false for anything but digits.
func dammInterim(s string) (d byte, ok bool) {
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d = damm[d][c-'0']
	}
	return d, true
}

// CheckDigit is the Damm check digit of a string of digits ('0'…'9'); it
// panics on anything else, which only a programming error passes.
func CheckDigit(digits string) byte {
	d, ok := dammInterim(digits)
	if !ok {
		panic("cases: check digit of a non-digit string")
	}
	return '0' + d
}

// WithCheckDigit appends the check digit to 15 digits, making a receipt.
func WithCheckDigit(digits string) string { return digits + string(CheckDigit(digits)) }

// ReceiptChecks says whether r (normalized) has the form of a receipt and a
// right check digit.
func ReceiptChecks(r string) bool {
	if !ValidReceipt(r) {
		return false
	}
	d, _ := dammInterim(r)
	return d == 0
}

// ReceiptCheck is what the digits of a typed receipt allow, before any
// lookup.
type ReceiptCheck int

const (
	// ReceiptLookUp: the digits check; look it up (a miss counts).
	ReceiptLookUp ReceiptCheck = iota
	// ReceiptTypo: no receipt has these digits; say "check the digits",
	// hash nothing and count nothing.
	ReceiptTypo
	// ReceiptMaybeOld: the check digit is wrong, but receipts from before
	// the check digit still exist; look it up (a miss counts) and answer
	// "check the digits" when it opens nothing.
	ReceiptMaybeOld
)

// CheckReceipt tells from the digits, before any lookup, what to do with
// a receipt she typed (spaces and dashes allowed).
func (s *Service) CheckReceipt(ctx context.Context, receipt string) (ReceiptCheck, error) {
	r := NormalizeReceipt(receipt)
	switch {
	case !ValidReceipt(r):
		// Receipts always had 16 digits, the old ones too.
		return ReceiptTypo, nil
	case ReceiptChecks(r):
		return ReceiptLookUp, nil
	}
	old, err := s.legacy.exist(ctx, s)
	if err != nil {
		return 0, err
	}
	if old {
		return ReceiptMaybeOld, nil
	}
	return ReceiptTypo, nil
}

// legacyTTL is how long an instance trusts its answer to "are there cases
// with a receipt that fails the check". A case from an outdated tablet
// that another instance took becomes findable under its receipt here at
// the latest this long after; this instance learns of its own at once.
const legacyTTL = time.Minute

// legacyReceipts caches whether any case has a receipt that fails the
// check: the question takes a scan, and only numbers that fail the check
// ask it.
type legacyReceipts struct {
	mu    sync.Mutex
	at    time.Time
	known bool
	found bool
}

func (l *legacyReceipts) exist(ctx context.Context, s *Service) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := s.now()
	if l.known && now.Sub(l.at) < legacyTTL {
		return l.found, nil
	}
	// Cases stored before the check digit have no receipt_checked field;
	// $ne matches them as well as those stored with false.
	err := s.st.C(collectionCases).FindOne(ctx, bson.M{"receipt_checked": bson.M{"$ne": true}}).Err()
	found := err == nil
	if err != nil && !errors.Is(store.NotFound(err), store.ErrNotFound) {
		return false, fmt.Errorf("cases: look for old receipts: %w", err)
	}
	l.at, l.known, l.found = now, true, found
	return found, nil
}

// saw records that this instance just stored a case whose receipt fails
// the check, so its own lookups find it at once.
func (l *legacyReceipts) saw(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.at, l.known, l.found = now, true, true
}

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

// NewReceipt makes a receipt, 15 digits from a cryptographic random source
// and the check digit, never a weak one (see StrongReceipt).
func NewReceipt() (string, error) {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1e15))
		if err != nil {
			return "", fmt.Errorf("cases: make receipt: %w", err)
		}
		if r := WithCheckDigit(fmt.Sprintf("%015d", n)); StrongReceipt(r) {
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
		// 128 bits reduced to 15 digits: no digit string is noticeably
		// likelier than another.
		n := new(big.Int).Mod(new(big.Int).SetBytes(m[:16]), big.NewInt(1e15))
		r := WithCheckDigit(fmt.Sprintf("%015d", n))
		if StrongReceipt(r) {
			return r
		}
	}
}

// legacyFormReceipt is the receipt FormReceipt made before the check digit:
// a form sent before the change and again after it must still show the
// receipt its case was stored under.
func (s *Service) legacyFormReceipt(id string) string {
	for i := 0; ; i++ {
		m := s.seal.MAC("form receipt", id, strconv.Itoa(i))
		n := new(big.Int).Mod(new(big.Int).SetBytes(m[:16]), big.NewInt(1e16))
		if r := fmt.Sprintf("%016d", n); StrongReceipt(r) {
			return r
		}
	}
}
