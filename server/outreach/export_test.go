package outreach

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// CardCounts returns the counts recorded for a round; only tests read them
// one round at a time.
func (s *Rounds) CardCounts(ctx context.Context, round string) ([]CardCount, error) {
	cur, err := s.st.C(cardsColl).Find(ctx, bson.D{{Key: "round", Value: round}})
	if err != nil {
		return nil, fmt.Errorf("outreach: card counts: %w", err)
	}
	var out []CardCount
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("outreach: card counts: %w", err)
	}
	return out, nil
}
