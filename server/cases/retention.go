package cases

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// EventContentErased: retention removed what she wrote (description,
// "about", her replies) and the desk's messages, notes and reasons; the
// case's codes (kind, category, region, outcome…) stay for the counts.
const EventContentErased = "content_erased"

// Retention kinds, as RetentionDue lists them.
const (
	EraseIdentity = "identity"
	EraseContent  = "content"
)

// RetentionItem is one case a retention run would change now.
type RetentionItem struct {
	CaseID    string
	Reference string
	ClosedAt  time.Time
	What      string // EraseIdentity or EraseContent
}

// RetentionDue lists what a run with these cut-offs would erase, without
// erasing anything (the dry run): names and contacts of cases closed
// before identityCutoff, and all their text of cases closed before
// contentCutoff (zero: none).
func (s *Service) RetentionDue(ctx context.Context, identityCutoff, contentCutoff time.Time) ([]RetentionItem, error) {
	var out []RetentionItem
	list, err := s.closedBefore(ctx, identityCutoff, bson.M{"erased": false})
	if err != nil {
		return nil, err
	}
	content := map[string]bool{}
	if !contentCutoff.IsZero() {
		cl, err := s.closedBefore(ctx, contentCutoff, bson.M{"content_erased": bson.M{"$ne": true}})
		if err != nil {
			return nil, err
		}
		for _, c := range cl {
			content[c.ID] = true
			out = append(out, RetentionItem{CaseID: c.ID, Reference: c.Reference, ClosedAt: c.ClosedAt, What: EraseContent})
		}
	}
	for _, c := range list {
		if !content[c.ID] { // erasing the content takes the identity too
			out = append(out, RetentionItem{CaseID: c.ID, Reference: c.Reference, ClosedAt: c.ClosedAt, What: EraseIdentity})
		}
	}
	return out, nil
}

func (s *Service) closedBefore(ctx context.Context, cutoff time.Time, and bson.M) ([]Case, error) {
	q := bson.M{"state": StateClosed, "closed_at": bson.M{"$lt": cutoff, "$gt": time.Time{}}}
	for k, v := range and {
		q[k] = v
	}
	cur, err := s.st.C(collectionCases).Find(ctx, q, options.Find().SetSort(bson.D{{Key: "closed_at", Value: 1}}).
		SetProjection(bson.M{"_id": 1, "reference": 1, "closed_at": 1, "state": 1}))
	if err != nil {
		return nil, fmt.Errorf("cases: retention: %w", err)
	}
	var list []Case
	if err := cur.All(ctx, &list); err != nil {
		return nil, fmt.Errorf("cases: retention: %w", err)
	}
	return list, nil
}

// EraseContent erases, of every case closed before cutoff, everything
// written in it: the description, "about", name and contact, and the body
// of every event (her replies, the desk's messages, notes, reasons). What
// the reports count stays: the case's codes and the events' types. It
// returns how many cases it erased.
func (s *Service) EraseContent(ctx context.Context, cutoff time.Time) (int, error) {
	list, err := s.closedBefore(ctx, cutoff, bson.M{"content_erased": bson.M{"$ne": true}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		// The events first: a run stopped half-way finds the case again.
		if _, err := s.st.UpdateAll(ctx, collectionEvents, bson.M{"case_id": c.ID, "body": bson.M{"$exists": true}},
			bson.M{"$unset": bson.M{"body": ""}}); err != nil {
			return n, fmt.Errorf("cases: retention erase messages %s: %w", c.ID, err)
		}
		ok, err := s.st.Update(ctx, collectionCases,
			bson.M{"_id": c.ID, "state": StateClosed, "closed_at": c.ClosedAt, "content_erased": bson.M{"$ne": true}},
			bson.M{"$set": bson.M{"description": nil, "about": nil, "name": nil, "contact": nil, "erased": true,
				"content_erased": true, "updated_at": s.now().UTC()}})
		if err != nil {
			return n, fmt.Errorf("cases: retention erase %s: %w", c.ID, err)
		}
		if !ok {
			continue
		}
		e := Event{ID: c.ID + ":content_erased:" + c.ClosedAt.UTC().Format(time.RFC3339), CaseID: c.ID, Type: EventContentErased, Actor: ActorSystem}
		if _, err := s.Append(ctx, e, ""); err != nil && !store.IsDuplicate(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

// EraseIdentities erases name and contact of every case closed before
// cutoff, leaving an "erased" event; everything the anonymous statistics
// use stays. It returns how many cases it erased.
func (s *Service) EraseIdentities(ctx context.Context, cutoff time.Time) (int, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{
		"state": StateClosed, "erased": false, "closed_at": bson.M{"$lt": cutoff, "$gt": time.Time{}},
	})
	if err != nil {
		return 0, fmt.Errorf("cases: retention: %w", err)
	}
	var list []Case
	if err := cur.All(ctx, &list); err != nil {
		return 0, fmt.Errorf("cases: retention: %w", err)
	}
	n := 0
	for _, c := range list {
		// Conditional on the state read: a case reopened meanwhile keeps
		// its identity.
		ok, err := s.st.Update(ctx, collectionCases,
			bson.M{"_id": c.ID, "state": StateClosed, "erased": false, "closed_at": c.ClosedAt},
			bson.M{"$set": bson.M{"name": nil, "contact": nil, "erased": true, "updated_at": s.now().UTC()}})
		if err != nil {
			return n, fmt.Errorf("cases: retention erase %s: %w", c.ID, err)
		}
		if !ok {
			continue
		}
		s.journal(ctx, c.ID, "") // the copies in memory drop the name too
		// A fixed id: a repeat after a crash adds no second event.
		e := Event{ID: c.ID + ":erased:" + c.ClosedAt.UTC().Format(time.RFC3339), CaseID: c.ID, Type: EventErased, Actor: ActorSystem}
		if _, err := s.Append(ctx, e, ""); err != nil && !store.IsDuplicate(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

// Retention is the daily job that erases names and contacts a while after
// closing, and everything written in a case a longer while after. Every
// instance runs it; a claim in the database per day lets only one of them
// do the work. Each run is written to the audit log.
type Retention struct {
	Cases *Service
	Store *store.Store
	// After is how long after closing identities are kept.
	After time.Duration
	// ContentAfter is how long after closing the text of a case is kept
	// (0: kept).
	ContentAfter time.Duration
	// Audit, when set, receives every run.
	Audit *audit.Log
	// Every is how often the job checks whether today's run is done.
	Every time.Duration
	Log   *slog.Logger
	Owner string
	Now   func() time.Time

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewRetention returns the job keeping identities for days after closing.
func NewRetention(svc *Service, st *store.Store, days int, log *slog.Logger) *Retention {
	if log == nil {
		log = slog.Default()
	}
	host, _ := os.Hostname()
	return &Retention{Cases: svc, Store: st, After: time.Duration(days) * 24 * time.Hour, Every: time.Hour,
		Log: log, Owner: fmt.Sprintf("%s/%d", host, os.Getpid()), Now: time.Now}
}

// RunOnce does today's run unless another instance (or an earlier call)
// claimed it. It says whether it ran and how many cases it erased.
func (r *Retention) RunOnce(ctx context.Context) (bool, int, error) {
	now := r.Now()
	day := now.In(workdays.Amsterdam).Format("2006-01-02")
	ok, err := r.Store.ClaimOnce(ctx, "retention/"+day, r.Owner)
	if err != nil || !ok {
		return false, 0, err
	}
	n, err := r.Run(ctx, ActorSystem)
	return true, n, err
}

// Cutoffs are the closing times before which identities and content go
// now (content: zero when kept).
func (r *Retention) Cutoffs() (identity, content time.Time) {
	now := r.Now()
	identity = now.Add(-r.After)
	if r.ContentAfter > 0 {
		content = now.Add(-r.ContentAfter)
	}
	return identity, content
}

// DryRun lists what a run now would erase.
func (r *Retention) DryRun(ctx context.Context) ([]RetentionItem, error) {
	id, content := r.Cutoffs()
	return r.Cases.RetentionDue(ctx, id, content)
}

// Run erases what is due now, whatever ran today (a staff member's "run
// now"; erasing is idempotent), and writes the run to the audit log as
// actor's. It returns how many cases it changed.
func (r *Retention) Run(ctx context.Context, actor string) (int, error) {
	idCut, contentCut := r.Cutoffs()
	nc := 0
	var err error
	if !contentCut.IsZero() {
		nc, err = r.Cases.EraseContent(ctx, contentCut)
	}
	ni := 0
	if err == nil {
		ni, err = r.Cases.EraseIdentities(ctx, idCut)
	}
	if nc+ni > 0 {
		r.Log.Info("retention: erased", "identities", ni, "content", nc)
	}
	if r.Audit != nil {
		detail := "run"
		if err != nil {
			detail = "run_failed"
		}
		for _, e := range []audit.Entry{
			{UserID: actor, Action: audit.RetentionRun, Detail: detail, Target: EraseIdentity, Count: ni},
			{UserID: actor, Action: audit.RetentionRun, Detail: detail, Target: EraseContent, Count: nc},
		} {
			if aerr := r.Audit.Record(ctx, e); aerr != nil && err == nil {
				err = aerr
			}
		}
	}
	return nc + ni, err
}

// Start runs the job now and then every r.Every until Stop.
func (r *Retention) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.Every)
		defer t.Stop()
		for {
			if _, _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
				r.Log.Error("retention: run", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the job and waits for a run in progress.
func (r *Retention) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}
