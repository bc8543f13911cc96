package cases

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestReturnsAreCountedWithoutHer: each time she opens her case with her
// receipt a return is counted, holding the day and nothing else; a wrong
// receipt counts nothing.
func TestReturnsAreCountedWithoutHer(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	svc.now = func() time.Time { return time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC) } // 1 April in Amsterdam
	r := newCase(t, svc, nil)
	for range 2 {
		if _, err := svc.ByReceipt(ctx, r.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.ByReceipt(ctx, "4071938562217480"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a stranger's receipt: %v", err)
	}
	cur, err := st.C(CollectionReturns).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("%d returns counted, want 2", len(docs))
	}
	for _, d := range docs {
		if len(d) != 2 || d["day"] != "2026-04-01" {
			t.Errorf("a return keeps %v, want only its id and the day", d)
		}
	}
}
