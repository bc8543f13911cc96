// Package ratelimit counts attempts per client in fixed windows, in the
// database so every instance sees the same counts. The client key (for
// example an IP address) is never stored: only a keyed hash that changes
// with every window, so stored counts cannot be tied to a visitor.
//
// An attempt that stands is one document whose _id is a place: the key
// and a number from 1 to the limit. Taking an attempt inserts the first
// free place; a duplicate means the place is taken (an insert with a given
// _id is atomic on FerretDB v1 and MongoDB alike, updates are not on
// FerretDB), so however many instances take attempts at once, at most Max
// stand. Taking, refusing and taking back are reads and writes by _id:
// nothing counts over the collection, which FerretDB would do by reading
// every document of it.
package ratelimit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
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

	// mu guards hints: where this instance expects free places, per key
	// of the current window (see places).
	mu     sync.Mutex
	window time.Time
	hints  map[string]*hint
}

// hint is what this instance knows of a key's places in a window: a guess
// that only orders the inserts, never decides on its own, except that a
// key found full is refused without trying again for fullFor.
type hint struct {
	next   int       // the place to try first (1…Max)
	freed  []int     // places this instance took back
	fullAt time.Time // when every place was found taken (wall clock)
}

// fullFor is how long a key found full is refused without inserts, unless
// this instance takes one of its attempts back meanwhile: a flood of
// refused attempts costs the database nothing. An attempt another
// instance takes back is seen here at most this much later.
const fullFor = time.Second

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
	k    string
	slot int
	// more are the attempts TakeAll counted with this one.
	more []*Attempt
}

// Take counts one attempt for key: it is allowed when it takes one of the
// key's Max places in this window (see the package comment), so however
// many run in parallel, on however many instances, at most Max allowed
// attempts stand in a window. Only an allowed attempt may be evaluated. A
// refused one stores nothing: a refused flood leaves nothing to store or
// to count. Under a race an attempt may be refused while another is being
// taken back; that errs on the safe side.
func (l *Limiter) Take(ctx context.Context, key string) (*Attempt, error) {
	k, end := l.key(key)
	a := &Attempt{Wait: end.Sub(l.now())}
	freed, start, ok := l.places(k, end)
	tried := 0
	for i := -1; ok && i < l.Max; i++ {
		slot := freed
		if i >= 0 {
			slot = (start-1+i)%l.Max + 1
		} else if freed == 0 {
			continue
		}
		err := l.st.Insert(ctx, collection, bson.M{"_id": placeID(k, slot), "k": k, "expires": end})
		if err == nil {
			l.took(k, end, slot, tried > 0)
			a.l, a.k, a.slot, a.Allowed = l, k, slot, true
			return a, nil
		}
		if !store.IsDuplicate(err) {
			return nil, fmt.Errorf("ratelimit: take %s: %w", l.Name, err)
		}
		tried++
	}
	if ok {
		// Found full now (not only remembered so): refuse without inserts
		// for a moment.
		l.found(k, end)
	}
	return a, nil
}

func placeID(k string, slot int) string { return k + "." + strconv.Itoa(slot) }

// places says where Take tries the places of k: freed, one this instance
// took back (0: none), first; then every place from start on, round to
// the first. Each call moves the start on, so parallel attempts here do
// not all try the same place first. ok is false when the key was found
// full a moment ago.
func (l *Limiter) places(k string, end time.Time) (freed, start int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max < 1 {
		return 0, 0, false
	}
	h := l.hint(k, end)
	if len(h.freed) == 0 && !h.fullAt.IsZero() && time.Since(h.fullAt) < fullFor {
		return 0, 0, false
	}
	if n := len(h.freed); n > 0 {
		freed = h.freed[n-1]
		h.freed = h.freed[:n-1]
	}
	start = h.next
	h.next = start%l.Max + 1
	return freed, start, true
}

// maxHints bounds the keys an instance keeps hints for (a flood from many
// addresses): beyond it they are dropped, which costs a few more inserts.
const maxHints = 10000

// hint is k's hint in the window ending at end; a new window drops the
// hints of the one before. Callers hold mu.
func (l *Limiter) hint(k string, end time.Time) *hint {
	if !end.Equal(l.window) || l.hints == nil || len(l.hints) >= maxHints {
		l.window, l.hints = end, map[string]*hint{}
	}
	h := l.hints[k]
	if h == nil {
		h = &hint{next: 1}
		l.hints[k] = h
	}
	return h
}

// took notes that slot was taken here; skipped says the places tried
// before it were taken, so the next attempt starts after it.
func (l *Limiter) took(k string, end time.Time, slot int, skipped bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hint(k, end)
	h.fullAt = time.Time{}
	if skipped {
		h.next = slot%l.Max + 1
	}
}

func (l *Limiter) found(k string, end time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hint(k, end).fullAt = time.Now()
}

func (l *Limiter) freed(k string, slot int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hints[k]; h != nil {
		h.freed = append(h.freed, slot)
		h.fullAt = time.Time{}
	}
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
	if _, err := l.st.Purge(ctx, collection, bson.M{"_id": placeID(a.k, a.slot)}); err != nil {
		errs = append(errs, fmt.Errorf("ratelimit: undo %s: %w", l.Name, err))
	} else {
		l.freed(a.k, a.slot)
	}
	return errors.Join(errs...)
}

// Index on the key: places are found by _id; kept for finding a key's
// attempts by hand.
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
