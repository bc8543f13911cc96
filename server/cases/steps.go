package cases

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The case keeps the time of its first route, its first reasoned answer
// and her "felt heard" answer beside the timeline, so reports count a
// year of cases from the cases alone: on the embedded database, reading
// every timeline event costs far more than reading the cases.

// keepSteps adds to a state change's $set the first route's and the
// first answer's time (the reasoned answer is sent when the case moves to
// feedback).
func keepSteps(c *Case, to State, now time.Time, set bson.M) {
	if to.IsRoute() && c.RoutedAt.IsZero() {
		set["routed_at"] = now
	}
	if to == StateFeedback && c.AnsweredAt.IsZero() {
		set["answered_at"] = now
	}
}

// keepAnswered records the first reasoned answer's time when it is sent
// as a message; a failure is logged (the message itself is sent).
func (s *Service) keepAnswered(ctx context.Context, c *Case, at time.Time) {
	if !c.AnsweredAt.IsZero() {
		return
	}
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "answered_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"answered_at": at}})
	if err != nil {
		s.log.Error("cases: keep the answer's time", "case", c.ID, "err", err)
	} else if ok {
		s.journal(ctx, c.ID, "")
	}
}

// KeepSteps fills in the step times of cases stored before they were
// kept, from their timelines. Run at start; cases that have them are
// left alone, so a second run (or two instances at once) changes nothing
// more. It returns how many cases it filled in.
func (s *Service) KeepSteps(ctx context.Context) (int, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"steps": bson.M{"$exists": false}},
		options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: find cases without steps: %w", err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return 0, fmt.Errorf("cases: find cases without steps: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	type steps struct{ routed, answered, heard time.Time }
	todo := make(map[string]*steps, len(ids))
	for _, c := range ids {
		todo[c.ID] = &steps{}
	}
	ecur, err := s.st.C(collectionEvents).Find(ctx, bson.M{"type": bson.M{"$in": bson.A{EventState, EventMessage, EventHeard}}},
		options.Find().SetProjection(bson.M{"case_id": 1, "at": 1, "type": 1, "to": 1, "data": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: read timelines for steps: %w", err)
	}
	first := func(t *time.Time, at time.Time) {
		if t.IsZero() || at.Before(*t) {
			*t = at
		}
	}
	for ecur.Next(ctx) {
		var e Event
		if err := ecur.Decode(&e); err != nil {
			return 0, fmt.Errorf("cases: read timelines for steps: %w", err)
		}
		st, ok := todo[e.CaseID]
		if !ok {
			continue
		}
		switch {
		case e.Type == EventState && e.To.IsRoute():
			first(&st.routed, e.At)
		case e.Type == EventState && e.To == StateFeedback, e.Type == EventMessage && e.Data["answer"] == "1":
			first(&st.answered, e.At)
		case e.Type == EventHeard && e.At.After(st.heard):
			st.heard = e.At
		}
	}
	if err := ecur.Err(); err != nil {
		return 0, fmt.Errorf("cases: read timelines for steps: %w", err)
	}
	n := 0
	for id, st := range todo {
		set := bson.M{"steps": 1}
		for k, v := range map[string]time.Time{"routed_at": st.routed, "answered_at": st.answered, "heard_at": st.heard} {
			if !v.IsZero() {
				set[k] = v
			}
		}
		ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": id, "steps": bson.M{"$exists": false}}, bson.M{"$set": set})
		if err != nil {
			return n, fmt.Errorf("cases: keep steps of %s: %w", id, err)
		}
		if ok {
			n++
			s.journal(ctx, id, "")
		}
	}
	return n, nil
}
