package cases

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Cases stored before receipts had their own documents get one at start:
// the backfill resumes where a cut-off run stopped, writes nothing
// the second time, and afterwards a receipt opens its case through its
// document alone (one read by _id; a receipt without one is a miss, with
// no pass over the cases), while a document whose case is gone still lets
// the pass settle it.
func TestBackfillReceiptsOnceThenLookUpByID(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	made := newCase(t, svc, nil)
	// Three older cases: their receipt documents removed, as before.
	var old []string
	for range 3 {
		r := newCase(t, svc, nil)
		c, err := svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Purge(ctx, collectionReceipts, bson.M{"_id": receiptKey(c.ReceiptHash)}); err != nil {
			t.Fatal(err)
		}
		old = append(old, r.Receipt)
	}
	// A run cut off after the first of them.
	c0, _ := svc.ByReceipt(ctx, old[0])
	if err := st.Insert(ctx, collectionReceipts, bson.M{"_id": receiptKey(c0.ReceiptHash), "case": c0.ID}); err != nil {
		t.Fatal(err)
	}

	fresh := NewService(Config{Store: st, Sealer: svc.seal, Texts: svc.texts})
	if n, err := fresh.BackfillReceipts(ctx); err != nil || n != 2 {
		t.Fatalf("backfill wrote %d (%v), want the 2 left", n, err)
	}
	if n, err := fresh.BackfillReceipts(ctx); err != nil || n != 0 {
		t.Fatalf("second backfill wrote %d (%v), want 0", n, err)
	}
	again := NewService(Config{Store: st, Sealer: svc.seal, Texts: svc.texts})
	if n, err := again.BackfillReceipts(ctx); err != nil || n != 0 {
		t.Fatalf("backfill at the next start wrote %d (%v), want 0", n, err)
	}
	for _, s := range []*Service{fresh, again} {
		for _, r := range append(old, made.Receipt) {
			if _, err := s.ByReceipt(ctx, r); err != nil {
				t.Fatalf("receipt %s after the backfill: %v", r, err)
			}
		}
	}

	// A case without its document is not found by a pass any more: the
	// look-up reads by _id only.
	c, err := fresh.Get(ctx, made.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Purge(ctx, collectionReceipts, bson.M{"_id": receiptKey(c.ReceiptHash)}); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ByReceipt(ctx, made.Receipt); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the backfill a receipt without its document: %v, want not found by _id", err)
	}
	// A document that leads nowhere (its case was removed, or its
	// creation never finished): the pass still finds the case.
	if err := st.Insert(ctx, collectionReceipts, bson.M{"_id": receiptKey(c.ReceiptHash), "case": "gone"}); err != nil {
		t.Fatal(err)
	}
	if got, err := fresh.ByReceipt(ctx, made.Receipt); err != nil || got.ID != made.ID {
		t.Fatalf("a document leading nowhere: %v", err)
	}
}
