package cards

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// Day is the Dutch calendar date of t, the only time a count keeps.
func Day(t time.Time) string { return t.In(workdays.Amsterdam).Format("2006-01-02") }

// Scan counts one scan of a card in its batch's count for today and returns
// the batch. An unknown code stores nothing and returns ok=false. Nothing
// about who scanned, or when within the day, is kept.
func (s *Service) Scan(ctx context.Context, code string) (*Batch, bool, error) {
	b, err := s.Card(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := s.inc(ctx, scansColl, b.ID, Day(s.now()), 1); err != nil {
		return b, true, err
	}
	return b, true, nil
}

// AddHandedOut adds n handed-out cards to a batch's count for day. ref is a
// batch id ("B007") or the code of any card of the batch, as typed. key
// names this count (the tablet's record id): the count is one document
// with that key, summed when read, so a count sent twice — in a retry, at
// the same moment, after a crash — is counted once.
// Returns ErrUnknownBatch or ErrInvalidCount for input it cannot take.
func (s *Service) AddHandedOut(ctx context.Context, ref string, n int, day time.Time, key string) error {
	if n < 1 || n > MaxHandout {
		return ErrInvalidCount
	}
	if key == "" {
		return fmt.Errorf("cards: a handout count needs its key")
	}
	id, err := s.resolve(ctx, ref)
	if err != nil {
		return err
	}
	err = s.st.Insert(ctx, handedColl, bson.D{
		{Key: "_id", Value: "count/" + key}, {Key: "batch", Value: id}, {Key: "day", Value: Day(day)}, {Key: "n", Value: int64(n)},
	})
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("cards: count handed out: %w", err)
	}
	return nil
}

func (s *Service) resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if b, err := s.Get(ctx, ref); err == nil {
		return b.ID, nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	id, err := s.BatchOf(ctx, ref)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", ErrUnknownBatch
	}
	return id, nil
}

// inc adds n to a daily counter: one document per batch and day, so
// nothing finer than the day is kept, raised exactly however many scans
// arrive at once.
func (s *Service) inc(ctx context.Context, coll, batch, day string, n int) error {
	err := s.st.Upsert(ctx, coll, batch+"/"+day, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(n)}}},
		{Key: "$set", Value: bson.D{{Key: "batch", Value: batch}, {Key: "day", Value: day}}},
	})
	if err != nil {
		return fmt.Errorf("cards: count %s: %w", coll, err)
	}
	return nil
}

// BatchStats is one line of the batches overview.
type BatchStats struct {
	Batch     Batch
	Printed   int
	HandedOut int
	Scans     int
	Cases     int
}

// Stats returns every batch, newest first, with what became of its cards:
// printed, handed out (from the outreach app's counts), scanned, and cases
// filed with one of its codes.
func (s *Service) Stats(ctx context.Context) ([]BatchStats, error) {
	batches, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(batches) == 0 {
		return nil, nil
	}
	ids := make([]string, len(batches))
	for i, b := range batches {
		ids[i] = b.ID
	}
	scans, err := s.sumBy(ctx, scansColl, ids, "$n")
	if err != nil {
		return nil, err
	}
	handed, err := s.sumBy(ctx, handedColl, ids, "$n")
	if err != nil {
		return nil, err
	}
	made, err := s.cases.CountByBatch(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]BatchStats, len(batches))
	for i, b := range batches {
		out[i] = BatchStats{Batch: b, Printed: b.Printed, HandedOut: handed[b.ID], Scans: scans[b.ID], Cases: made[b.ID]}
	}
	return out, nil
}

// sumBy sums a value per batch over documents whose batch is one of ids.
func (s *Service) sumBy(ctx context.Context, coll string, ids []string, value any) (map[string]int, error) {
	cur, err := s.st.C(coll).Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "batch", Value: bson.D{{Key: "$in", Value: ids}}}}}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$batch"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: value}}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("cards: count %s: %w", coll, err)
	}
	var rows []struct {
		ID string `bson:"_id"`
		N  int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("cards: count %s: %w", coll, err)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.ID] = int(r.N)
	}
	return m, nil
}
