package cases

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A case and its first events are one unit. The case is inserted first
// (the insert is what makes a repeat of the same id one case), then the
// staff's notification, and its acknowledgement and, last, its "created"
// event, which marks the unit complete (the two in one insert). A crash (or a failing write) in
// between leaves a case without that marker; RepairFirstEvents, run at
// start-up and then every few minutes, completes such cases: every step is
// keyed by the case, so repeating one adds nothing twice.

// repairGrace leaves cases being made right now (here or on another
// instance) to their own request.
const repairGrace = 2 * time.Minute

// repairWindow is how far back the sweep looks: a crash's leftovers are
// found at the next start, and the periodic sweep runs every few minutes.
const repairWindow = 30 * 24 * time.Hour

// RepairFirstEvents completes the cases that have no "created" event yet:
// their acknowledgement, the staff's notification and the event itself.
// It returns how many it completed.
func (s *Service) RepairFirstEvents(ctx context.Context) (int, error) {
	now := s.now().UTC()
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"created_at": bson.M{"$gte": now.Add(-repairWindow), "$lte": now.Add(-repairGrace)}},
		options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: repair: find cases: %w", err)
	}
	var heads []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &heads); err != nil {
		return 0, fmt.Errorf("cases: repair: read cases: %w", err)
	}
	n := 0
	var failed error
	for len(heads) > 0 {
		batch := heads[:min(len(heads), 200)]
		heads = heads[len(batch):]
		markers := make([]string, 0, len(batch))
		for _, h := range batch {
			markers = append(markers, h.ID+createdEventSuffix)
		}
		cur, err := s.st.C(collectionEvents).Find(ctx, bson.M{"_id": bson.M{"$in": markers}}, options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			return n, fmt.Errorf("cases: repair: find events: %w", err)
		}
		var found []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &found); err != nil {
			return n, fmt.Errorf("cases: repair: read events: %w", err)
		}
		have := make(map[string]bool, len(found))
		for _, f := range found {
			have[f.ID] = true
		}
		for _, h := range batch {
			if have[h.ID+createdEventSuffix] {
				continue
			}
			c, err := s.Get(ctx, h.ID)
			if err != nil {
				return n, err
			}
			if err := s.afterCreate(ctx, []*Case{c}, false); err != nil {
				// The next sweep tries again; the others go on.
				failed = err
				continue
			}
			n++
		}
	}
	return n, failed
}
