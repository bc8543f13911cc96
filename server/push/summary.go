package push

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// summaryLatest is the last local hour a missed morning summary is still
// sent (an instance started in the afternoon does not send "good morning").
const summaryLatest = 11

// Counts are the cases whose deadline falls today (Due) or has passed
// (Overdue).
type Counts struct{ Due, Overdue int }

// Agenda counts due and overdue cases, in total and per assigned user.
type Agenda interface {
	Counts(ctx context.Context, now time.Time) (total Counts, byUser map[string]Counts, err error)
}

// CasesAgenda counts from the cases collection with the deadline rules of
// package cases.
type CasesAgenda struct{ Store *store.Store }

// Counts implements Agenda.
func (a CasesAgenda) Counts(ctx context.Context, now time.Time) (Counts, map[string]Counts, error) {
	cur, err := a.Store.C("cases").Find(ctx, bson.M{"state": bson.M{"$ne": string(cases.StateClosed)}},
		options.Find().SetProjection(bson.M{"state": 1, "deadlines": 1, "assigned_to": 1}))
	if err != nil {
		return Counts{}, nil, fmt.Errorf("push: read cases: %w", err)
	}
	var docs []struct {
		State      cases.State     `bson:"state"`
		Deadlines  cases.Deadlines `bson:"deadlines"`
		AssignedTo string          `bson:"assigned_to"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return Counts{}, nil, fmt.Errorf("push: read cases: %w", err)
	}
	local := now.In(workdays.Amsterdam)
	endOfDay := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, workdays.Amsterdam)
	var total Counts
	by := map[string]Counts{}
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

func (s *Service) summaryLoop(ctx context.Context) {
	if s.cfg.DisableSummary {
		return
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if _, err := s.RunSummary(ctx); err != nil {
			s.log.Warn("push: morning summary", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RunSummary queues the morning summary when it is time (from SummaryHour:
// SummaryMinute until 11:00 Europe/Amsterdam) and no instance has queued
// today's yet. It returns whether this instance queued it.
func (s *Service) RunSummary(ctx context.Context) (bool, error) {
	now := s.now().In(workdays.Amsterdam)
	start := time.Date(now.Year(), now.Month(), now.Day(), s.cfg.SummaryHour, s.cfg.SummaryMinute, 0, 0, workdays.Amsterdam)
	if now.Before(start) || now.Hour() >= summaryLatest {
		return false, nil
	}
	date := now.Format("2006-01-02")
	ok, err := s.st.ClaimOnce(ctx, "push-summary/"+date, s.owner)
	if err != nil || !ok {
		return false, err
	}
	_, err = s.QueueSummary(ctx)
	return err == nil, err
}

// QueueSummary queues today's summary for coordinators (all due and overdue
// cases) and handlers (their own), skipping whoever has nothing due. The
// payload carries no counts: the page it opens shows them.
func (s *Service) QueueSummary(ctx context.Context) (int, error) {
	people, err := s.recipients(ctx, TypeSummary, "")
	if err != nil || len(people) == 0 {
		return 0, err
	}
	total, by, err := s.cfg.Agenda.Counts(ctx, s.now())
	if err != nil {
		return 0, err
	}
	var to []Person
	for _, p := range people {
		c := by[p.ID]
		if p.Role == RoleCoordinator {
			c = total
		}
		if c.Due+c.Overdue > 0 {
			to = append(to, p)
		}
	}
	return s.enqueue(ctx, "summary/"+s.localDate(), TypeSummary, "", to)
}
