package cases

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
)

// Receipts a person would pick, or a broken generator would make, are weak;
// what the desk makes never is.
func TestStrongReceipt(t *testing.T) {
	for _, r := range []string{"0000000000000000", "1111111111111112", "0123456789012345", "9876543210987654",
		"1234123412341234", "1122334455667788", "0000000012345678", "1212121212121212", "2468024680246802",
		"1111222233334444", "123412341234123", "12341234123412345", "abcdabcdabcdabcd"} {
		if StrongReceipt(r) {
			t.Errorf("%s counts as strong", r)
		}
	}
	for _, r := range []string{"4071938562217480", "8305126947730158", "5928047316602981"} {
		if !StrongReceipt(r) {
			t.Errorf("%s counts as weak", r)
		}
	}
	for range 2000 {
		r, err := NewReceipt()
		if err != nil || !StrongReceipt(r) || !ReceiptChecks(r) {
			t.Fatalf("NewReceipt made %q (%v)", r, err)
		}
	}
}

// The form's receipt follows from its id and the installation's key only:
// the same id gives the same receipt, another key or id another one.
func TestFormReceiptIsKeyed(t *testing.T) {
	svc := func(b byte) *Service {
		key := make([]byte, 32)
		key[0] = b
		s, err := seal.New(key)
		if err != nil {
			t.Fatal(err)
		}
		return NewService(Config{Sealer: s})
	}
	a, b := svc(1), svc(2)
	id := uuid.NewString()
	r := a.FormReceipt(id)
	if !StrongReceipt(r) || !ReceiptChecks(r) || a.FormReceipt(id) != r {
		t.Fatalf("form receipt %q is not stable and strong", r)
	}
	if b.FormReceipt(id) == r || a.FormReceipt(uuid.NewString()) == r {
		t.Fatal("the form receipt does not depend on the key and the id")
	}
}

// receiptVectors are the check-digit cases both implementations (this one
// and the tablet's, pwa/js/ids.js) must agree on.
type receiptVectors struct {
	CheckDigits []struct{ Digits, Check string } `json:"check_digits"`
	Valid       []string                         `json:"valid"`
	Typos       []struct {
		Receipt, From, Error string
	} `json:"typos"`
	NotReceipts []string `json:"not_receipts"`
}

func readVectors(t *testing.T) receiptVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/receipt_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v receiptVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.CheckDigits) == 0 || len(v.Valid) == 0 || len(v.Typos) == 0 || len(v.NotReceipts) == 0 {
		t.Fatalf("vectors incomplete: %+v", v)
	}
	return v
}

func TestReceiptCheckDigitVectors(t *testing.T) {
	v := readVectors(t)
	for _, c := range v.CheckDigits {
		if got := string(CheckDigit(c.Digits)); got != c.Check {
			t.Errorf("check digit of %s = %s, want %s", c.Digits, got, c.Check)
		}
	}
	for _, r := range v.Valid {
		if !ReceiptChecks(r) || !ReceiptChecks(NormalizeReceipt(GroupReceipt(r))) {
			t.Errorf("%s does not check", r)
		}
	}
	for _, c := range v.Typos {
		if ReceiptChecks(c.Receipt) || !ReceiptChecks(c.From) {
			t.Errorf("%s (a %s error in %s) passes the check", c.Receipt, c.Error, c.From)
		}
	}
	for _, r := range v.NotReceipts {
		if ReceiptChecks(NormalizeReceipt(r)) {
			t.Errorf("%q counts as a receipt", r)
		}
	}
}

// Every single wrong digit and every swap of two different neighbours in
// a receipt the desk makes fails the check.
func TestCheckDigitCatchesEveryTypoAndSwap(t *testing.T) {
	for range 500 {
		r, err := NewReceipt()
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(r)
		for i := range b {
			orig := b[i]
			for d := byte('0'); d <= '9'; d++ {
				if d == orig {
					continue
				}
				b[i] = d
				if ReceiptChecks(string(b)) {
					t.Fatalf("%s with digit %d changed to %c passes", r, i+1, d)
				}
			}
			b[i] = orig
		}
		for i := 0; i+1 < len(b); i++ {
			if b[i] == b[i+1] {
				continue
			}
			b[i], b[i+1] = b[i+1], b[i]
			if ReceiptChecks(string(b)) {
				t.Fatalf("%s with digits %d and %d swapped passes", r, i+1, i+2)
			}
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
}

// failing turns a receipt into one that fails the check (the last digit
// moved on by one): what an outdated tablet or an old case may have.
func failing(r string) string {
	return r[:15] + fmt.Sprint((int(r[15]-'0')+1)%10)
}

// Receipts handed out before the check digit still open their cases: while
// such a case exists a number that fails the check is looked up; once none
// is left, the digits alone answer "check the digits".
func TestReceiptsFromBeforeTheCheckDigitStillOpen(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	fresh := func() *Service { return NewService(Config{Store: st, Sealer: svc.seal, Texts: svc.texts}) }
	mine := newCase(t, svc, nil)
	if !ReceiptChecks(mine.Receipt) {
		t.Fatalf("the desk made %s without a check digit", mine.Receipt)
	}
	typo := failing(mine.Receipt)
	for name, s := range map[string]*Service{"same": svc, "fresh": fresh()} {
		if got, err := s.CheckReceipt(ctx, typo); err != nil || got != ReceiptTypo {
			t.Fatalf("%s instance, no old receipts: %s checks as %v (%v), want a typo", name, typo, got, err)
		}
		if got, _ := s.CheckReceipt(ctx, GroupReceipt(mine.Receipt)); got != ReceiptLookUp {
			t.Fatalf("%s instance: her receipt checks as %v", name, got)
		}
		if got, _ := s.CheckReceipt(ctx, mine.Receipt[:15]); got != ReceiptTypo {
			t.Fatalf("%s instance: 15 digits check as %v", name, got)
		}
	}

	// A case stored before the change: its receipt fails the check and the
	// document has no receipt_checked field.
	old := ""
	for old == "" || ReceiptChecks(old) {
		r, err := NewReceipt()
		if err != nil {
			t.Fatal(err)
		}
		old = failing(r)
	}
	oldCase := newCase(t, svc, func(in *Input) { in.ID = uuid.NewString() })
	h, err := svc.seal.ReceiptHash(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, collectionCases, bson.M{"_id": oldCase.ID},
		bson.M{"$set": bson.M{"receipt_hash": h}, "$unset": bson.M{"receipt_checked": ""}}); err != nil {
		t.Fatal(err)
	}
	s := fresh()
	if got, err := s.CheckReceipt(ctx, old); err != nil || got != ReceiptMaybeOld {
		t.Fatalf("an old receipt checks as %v (%v), want maybe-old", got, err)
	}
	if c, err := s.ByReceipt(ctx, old); err != nil || c.ID != oldCase.ID {
		t.Fatalf("the old receipt does not open its case: %v", err)
	}
	// Retention removed it: numbers failing the check are typos again.
	if _, err := st.Delete(ctx, collectionCases, bson.M{"_id": oldCase.ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := fresh().CheckReceipt(ctx, old); got != ReceiptTypo {
		t.Fatalf("with no old case left the old number checks as %v", got)
	}

	// An outdated tablet brings a receipt without a check digit after the
	// change: the case arrives under it and it opens the case, at once on
	// this instance.
	if got, _ := svc.CheckReceipt(ctx, old); got != ReceiptTypo {
		t.Fatalf("before the tablet's case: %v", got)
	}
	dev, err := svc.Create(ctx, Input{ID: uuid.NewString(), Receipt: GroupReceipt(old), Kind: "complaint", Category: "business.bank",
		Description: "Een melding van een oude tablet.", Municipality: "Amsterdam", Wish: "handle", Language: "nl",
		Identity: Identity{Mode: "anonymous"}, Device: "dev-1", Round: "round-1"}, ChannelOutreach)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.CheckReceipt(ctx, old); got != ReceiptMaybeOld {
		t.Fatalf("after the tablet's case its receipt checks as %v", got)
	}
	if c, err := svc.ByReceipt(ctx, old); err != nil || c.ID != dev.ID {
		t.Fatalf("the tablet's old receipt does not open its case: %v", err)
	}
}

// A form sent before the change and again after it shows the receipt its
// case was stored under, not the new one.
func TestFormRepeatKeepsItsOldReceipt(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	in := Input{ID: uuid.NewString(), Kind: "complaint", Category: "business.bank", Description: "De bank sloot mijn rekening.",
		Municipality: "Amsterdam", Wish: "handle", Language: "nl", Identity: Identity{Mode: "anonymous"}}
	first, err := svc.CreateForm(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.Receipt != svc.FormReceipt(in.ID) || !ReceiptChecks(first.Receipt) {
		t.Fatalf("form receipt %s", first.Receipt)
	}
	// Make it a case stored before the change.
	old := svc.legacyFormReceipt(in.ID)
	h, err := svc.seal.ReceiptHash(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, collectionCases, bson.M{"_id": first.ID},
		bson.M{"$set": bson.M{"receipt_hash": h}, "$unset": bson.M{"receipt_checked": ""}}); err != nil {
		t.Fatal(err)
	}
	again, err := svc.CreateForm(ctx, in)
	if err != nil || !again.Duplicate || again.ID != first.ID || again.Receipt != old {
		t.Fatalf("repeat: %+v %v, want the old receipt %s", again, err, old)
	}
	if c, err := svc.ByReceipt(ctx, again.Receipt); err != nil || c.ID != first.ID {
		t.Fatalf("the receipt shown does not open the case: %v", err)
	}
}

// Another instance learns of a case with a receipt failing the check within
// legacyTTL: until then it may still call that number a typo, after it the
// number opens the case.
func TestOldReceiptReachesOtherInstancesWithinAMinute(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	other := NewService(Config{Store: st, Sealer: svc.seal, Texts: svc.texts, Now: clock})
	newCase(t, svc, nil)
	r, err := NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	old := failing(r)
	if got, _ := other.CheckReceipt(ctx, old); got != ReceiptTypo {
		t.Fatalf("before: %v", got)
	}
	if _, err := svc.Create(ctx, Input{ID: uuid.NewString(), Receipt: old, Kind: "complaint", Category: "business.bank",
		Description: "Een melding van een oude tablet.", Municipality: "Amsterdam", Wish: "handle", Language: "nl",
		Identity: Identity{Mode: "anonymous"}}, ChannelOutreach); err != nil {
		t.Fatal(err)
	}
	now = now.Add(legacyTTL - time.Second)
	if got, _ := other.CheckReceipt(ctx, old); got != ReceiptTypo {
		t.Fatalf("within the minute the other instance answers from its cache: %v", got)
	}
	now = now.Add(2 * time.Second)
	if got, _ := other.CheckReceipt(ctx, old); got != ReceiptMaybeOld {
		t.Fatalf("after the minute the other instance still calls it a typo: %v", got)
	}
}

// Every intake hashes the receipt once, and a repeat of the same report
// (the same client id) none: the form's, the desk's and a tablet's.
func TestIntakeHashesTheReceiptOnce(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	own, err := NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	ins := map[string]func(in Input) (Result, error){
		"form": func(in Input) (Result, error) { return svc.CreateForm(ctx, in) },
		"api":  func(in Input) (Result, error) { return svc.Create(ctx, in, ChannelWeb) },
		"tablet": func(in Input) (Result, error) {
			in.Receipt = own
			return svc.Create(ctx, in, ChannelOutreach)
		},
	}
	for name, create := range ins {
		in := Input{ID: uuid.NewString(), Kind: "complaint", Category: "business.bank", Description: "De bank sloot mijn rekening.",
			Municipality: "Amsterdam", Wish: "handle", Language: "nl", Identity: Identity{Mode: "anonymous"}}
		for i, want := range []int64{1, 0} {
			before := svc.seal.ReceiptHashes()
			if _, err := create(in); err != nil {
				t.Fatalf("%s %d: %v", name, i+1, err)
			}
			if n := svc.seal.ReceiptHashes() - before; n != want {
				t.Errorf("%s, report %d: %d receipt hashes, want %d", name, i+1, n, want)
			}
		}
	}
}
