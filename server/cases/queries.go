package cases

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// Queries are the reads other domains make of the cases (push's morning
// agenda, the cards' cases per batch): only this package reads its
// collections. They need the store alone, so the services the case service
// is built from (cards, push) can be given them first.
type Queries struct{ st *store.Store }

// NewQueries returns the cases' queries for other domains.
func NewQueries(st *store.Store) *Queries { return &Queries{st: st} }

// AgendaCounts are the open cases whose next deadline falls today (Due) or
// has passed (Overdue).
type AgendaCounts struct{ Due, Overdue int }

// Agenda counts due and overdue cases at now, in total and per assigned
// user, with the deadline rules of Deadlines.Next ("today" is the
// Amsterdam day).
func (q *Queries) Agenda(ctx context.Context, now time.Time) (AgendaCounts, map[string]AgendaCounts, error) {
	cur, err := q.st.C(collectionCases).Find(ctx, bson.M{"state": bson.M{"$ne": string(StateClosed)}},
		options.Find().SetProjection(bson.M{"state": 1, "deadlines": 1, "assigned_to": 1}))
	if err != nil {
		return AgendaCounts{}, nil, fmt.Errorf("cases: agenda: %w", err)
	}
	var docs []struct {
		State      State     `bson:"state"`
		Deadlines  Deadlines `bson:"deadlines"`
		AssignedTo string    `bson:"assigned_to"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return AgendaCounts{}, nil, fmt.Errorf("cases: agenda: %w", err)
	}
	local := now.In(workdays.Amsterdam)
	endOfDay := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, workdays.Amsterdam)
	var total AgendaCounts
	by := map[string]AgendaCounts{}
	for _, d := range docs {
		what, due, overdue := d.Deadlines.Next(now, d.State)
		if what == "" {
			continue
		}
		c := by[d.AssignedTo]
		switch {
		case overdue:
			total.Overdue++
			c.Overdue++
		case due.Before(endOfDay):
			total.Due++
			c.Due++
		default:
			continue
		}
		if d.AssignedTo != "" {
			by[d.AssignedTo] = c
		}
	}
	return total, by, nil
}

// CountByBatch counts the cases that came in with a card of each of the
// given batches (a batch without cases is absent).
func (q *Queries) CountByBatch(ctx context.Context, batches []string) (map[string]int, error) {
	cur, err := q.st.C(collectionCases).Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "batch", Value: bson.D{{Key: "$in", Value: batches}}}}}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$batch"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("cases: count by batch: %w", err)
	}
	var rows []struct {
		ID string `bson:"_id"`
		N  int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("cases: count by batch: %w", err)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.ID] = int(r.N)
	}
	return m, nil
}
