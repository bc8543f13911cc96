package cases

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CaseIDOfReference returns the id of the case with this reference (as
// staff type it: any case, spaces around), or ErrNotFound.
func (s *Service) CaseIDOfReference(ctx context.Context, ref string) (string, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	var c struct {
		ID string `bson:"_id"`
	}
	err := s.st.C(collectionCases).FindOne(ctx, bson.M{"reference": ref}, options.FindOne().SetProjection(bson.M{"_id": 1})).Decode(&c)
	if err != nil {
		return "", fmt.Errorf("cases: by reference: %w", notFound(err))
	}
	return c.ID, nil
}

// ReferencesOf maps case ids to their references (ids without a case are
// left out), for lists that show many cases by their reference.
func (s *Service) ReferencesOf(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"_id": bson.M{"$in": ids}},
		options.Find().SetProjection(bson.M{"_id": 1, "reference": 1}))
	if err != nil {
		return nil, fmt.Errorf("cases: references: %w", err)
	}
	var list []struct {
		ID        string `bson:"_id"`
		Reference string `bson:"reference"`
	}
	if err := cur.All(ctx, &list); err != nil {
		return nil, fmt.Errorf("cases: references: %w", err)
	}
	for _, c := range list {
		out[c.ID] = c.Reference
	}
	return out, nil
}
