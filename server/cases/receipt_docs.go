package cases

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

// BackfillReceipts gives every case without a case_receipts document one,
// so that a status look-up is a read by _id and a receipt that opens
// nothing is a miss by _id, never a pass over every case (the embedded
// database reads every case for a filter on anything but _id). Run at
// start, before serving. It is resumable and idempotent: documents are
// only inserted (a duplicate means another instance, or an earlier run,
// made it), so a start after a cut-off run finishes the rest. From then on
// this instance trusts the documents alone (see ByReceipt): every version
// that can run beside it writes a case's document before the case.
//
// It reads the ids of both collections at every start rather than
// trusting a marker: a marker would hide, for good, cases that an
// instance of a version from before the documents stored after it.
func (s *Service) BackfillReceipts(ctx context.Context) (int, error) {
	have := map[string]bool{}
	cur, err := s.st.C(collectionReceipts).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: read receipts: %w", err)
	}
	var keys []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &keys); err != nil {
		return 0, fmt.Errorf("cases: read receipts: %w", err)
	}
	for _, k := range keys {
		have[k.ID] = true
	}
	cur, err = s.st.C(collectionCases).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1, "receipt_hash": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: read cases' receipts: %w", err)
	}
	var list []struct {
		ID          string `bson:"_id"`
		ReceiptHash []byte `bson:"receipt_hash"`
	}
	if err := cur.All(ctx, &list); err != nil {
		return 0, fmt.Errorf("cases: read cases' receipts: %w", err)
	}
	n := 0
	for _, c := range list {
		k := receiptKey(c.ReceiptHash)
		if len(c.ReceiptHash) == 0 || have[k] {
			continue
		}
		err := s.st.Insert(ctx, collectionReceipts, bson.M{"_id": k, "case": c.ID})
		if err != nil && !store.IsDuplicate(err) {
			return n, fmt.Errorf("cases: write the receipt of case %s: %w", c.ID, err)
		}
		if err == nil {
			n++
		}
	}
	s.receiptsAll.Store(true)
	return n, nil
}
