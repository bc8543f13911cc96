package cases

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

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
// closing. Every instance runs it; a claim in the database per day lets
// only one of them do the work.
type Retention struct {
	Cases *Service
	Store *store.Store
	// After is how long after closing identities are kept.
	After time.Duration
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
	n, err := r.Cases.EraseIdentities(ctx, now.Add(-r.After))
	if err != nil {
		return true, n, err
	}
	if n > 0 {
		r.Log.Info("retention: erased names and contacts", "cases", n)
	}
	return true, n, nil
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
