package push

import (
	"context"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/workdays"
)

// summaryLatest is the last local hour a missed morning summary is still
// sent (an instance started in the afternoon does not send "good morning").
const summaryLatest = 11

// Counts are the cases whose deadline falls today (Due) or has passed
// (Overdue).
type Counts = cases.AgendaCounts

// Agenda counts due and overdue cases, in total and per assigned user
// (*cases.Queries).
type Agenda interface {
	Agenda(ctx context.Context, now time.Time) (total Counts, byUser map[string]Counts, err error)
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
	total, by, err := s.cfg.Agenda.Agenda(ctx, s.now())
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
