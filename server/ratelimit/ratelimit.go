// Package ratelimit counts attempts per client in fixed windows, in the
// database so every instance sees the same counts. The client key (for
// example an IP address) is never stored: only a keyed hash that changes
// with every window, so stored counts cannot be tied to a visitor.
package ratelimit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

const collection = "rate_limits"

// Limiter allows Max attempts per client per Window for one purpose (Name).
type Limiter struct {
	Name   string
	Max    int
	Window time.Duration
	st     *store.Store
	seal   *seal.Sealer
	now    func() time.Time
}

// New builds a limiter. now is its clock (nil: time.Now): windows are
// fixed (a quarter hour starts at :00, :15…), so tests pin the clock
// rather than run across a window's end.
func New(st *store.Store, s *seal.Sealer, name string, max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{Name: name, Max: max, Window: window, st: st, seal: s, now: now}
}

func (l *Limiter) key(key string) (string, time.Time) {
	start := l.now().Truncate(l.Window)
	mac := l.seal.MAC("ratelimit", l.Name, strconv.FormatInt(start.Unix(), 10), key)
	return base64.RawURLEncoding.EncodeToString(mac[:18]), start.Add(l.Window)
}

// Attempt is one counted attempt.
type Attempt struct {
	// Allowed says the attempt is within the limit and may be evaluated.
	Allowed bool
	// Wait is how long until the window ends (for Retry-After).
	Wait time.Duration
	l    *Limiter
	id   bson.ObjectID
	// more are the attempts TakeAll counted with this one.
	more []*Attempt
}

// Take counts one attempt for key and then decides from the count that
// includes it. Every attempt is one inserted document (inserts are atomic;
// FerretDB v1 loses concurrent updates), so however many run in parallel,
// at most Max allowed attempts stand in a window: the last of them to be
// inserted counts them all. Only an allowed attempt may be evaluated. A
// refused one is taken back at once: it was
// not evaluated, and a refused flood then leaves nothing to store or to
// count. (Should taking it back fail, it stays counted until the window
// ends, which only errs on the safe side.)
func (l *Limiter) Take(ctx context.Context, key string) (*Attempt, error) {
	k, end := l.key(key)
	a := &Attempt{l: l, id: bson.NewObjectID(), Wait: end.Sub(l.now())}
	if err := l.st.Insert(ctx, collection, bson.M{"_id": a.id, "k": k, "expires": end}); err != nil {
		return nil, fmt.Errorf("ratelimit: take %s: %w", l.Name, err)
	}
	n, err := l.count(ctx, k)
	if err != nil {
		_ = a.Undo(ctx)
		return nil, err
	}
	if n > int64(l.Max) {
		_ = a.Undo(ctx)
		return a, nil
	}
	a.Allowed = true
	return a, nil
}

// Keyed is a limit and the key to count an attempt under.
type Keyed struct {
	Limiter *Limiter
	Key     string
}

// TakeAll counts one attempt against each limit in turn (at least one). It
// is allowed when every limit allows it; the first that refuses stops it,
// the attempts counted before are taken back, and Wait is that limit's.
// Put the narrowest limit first: one client's flood is then refused before
// it touches the wider counts. Undo takes back all of them.
func TakeAll(ctx context.Context, ks ...Keyed) (*Attempt, error) {
	var taken []*Attempt
	undo := func() {
		for _, a := range taken {
			_ = a.Undo(ctx)
		}
	}
	for _, k := range ks {
		a, err := k.Limiter.Take(ctx, k.Key)
		if err != nil {
			undo()
			return nil, err
		}
		if !a.Allowed {
			undo()
			return a, nil
		}
		taken = append(taken, a)
	}
	if len(taken) == 0 {
		return nil, fmt.Errorf("ratelimit: TakeAll without limits")
	}
	first := taken[0]
	first.more = taken[1:]
	return first, nil
}

// Undo takes an attempt back so it does not count: one that succeeded, or
// one that was not evaluated after all. Later calls do nothing. It runs
// even when ctx is cancelled, so a client that hangs up at once does not
// leave her success counted.
func (a *Attempt) Undo(ctx context.Context) error {
	if a == nil {
		return nil
	}
	var errs []error
	for _, m := range a.more {
		errs = append(errs, m.Undo(ctx))
	}
	a.more = nil
	if a.l == nil {
		return errors.Join(errs...)
	}
	l := a.l
	a.l = nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Attempts are only ever inserted and removed: a purge loses nothing.
	if _, err := l.st.Purge(ctx, collection, bson.M{"_id": a.id}); err != nil {
		errs = append(errs, fmt.Errorf("ratelimit: undo %s: %w", l.Name, err))
	}
	return errors.Join(errs...)
}

func (l *Limiter) count(ctx context.Context, k string) (int64, error) {
	n, err := l.st.C(collection).CountDocuments(ctx, bson.M{"k": k})
	if err != nil {
		return 0, fmt.Errorf("ratelimit: count %s: %w", l.Name, err)
	}
	return n, nil
}

// Index makes counting by key cheap.
func Index() store.Index {
	return store.Index{Collection: collection, Keys: bson.D{{Key: "k", Value: 1}}, Name: "k"}
}

// Sweep deletes counters expired at now (no TTL indexes in FerretDB v1);
// now comes from the limiters' clock.
func Sweep(ctx context.Context, st *store.Store, now time.Time) error {
	// Hits are only ever inserted, so a purge cannot undo anyone's write.
	_, err := st.Purge(ctx, collection, bson.M{"expires": bson.M{"$lt": now}})
	if err != nil {
		return fmt.Errorf("ratelimit: sweep: %w", err)
	}
	return nil
}
