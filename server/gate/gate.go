// Package gate bounds how much of one kind of work runs at once. Work that
// finds no free slot waits a short, bounded time and then gives up with
// ErrBusy, which the server answers with 503 and Retry-After: under a flood
// memory and database connections stay bounded, and every client gets an
// answer it can act on instead of a timeout.
package gate

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrBusy: no slot came free within the wait.
var ErrBusy = errors.New("gate: too much at once, try again shortly")

// ErrGone: the client that asked for the work has gone (it gave up or
// hung up while the work waited), so the work is not done at all.
var ErrGone = errors.New("gate: the client has gone")

// RetryAfter is the Retry-After (in seconds) to send with ErrBusy.
const RetryAfter = 2

// Gate lets Size pieces of work run at once.
type Gate struct {
	slots chan struct{}
	wait  atomic.Int64 // time.Duration
	// admitted is the work holding or waiting for a slot; the queue bound
	// applies to it. A release takes its work off at once, so the slot it
	// hands to a waiter leaves room for the next at once, not only when
	// the waiter's goroutine runs again (on busy cores, many milliseconds
	// later: a closed loop of clients was mostly shed).
	admitted atomic.Int64
	waiting  atomic.Int64 // for Stats
	queue    atomic.Int64 // most work that may wait; 0: no bound
	shed     atomic.Uint64
	gone     atomic.Uint64
}

// Stats is a gate's state, for metrics.
type Stats struct {
	Size     int    // slots
	InFlight int    // slots taken now
	Waiting  int64  // work waiting for a slot now
	Shed     uint64 // work refused with ErrBusy since start
	Gone     uint64 // work dropped because its client had gone
}

// Stats reports the gate's state.
func (g *Gate) Stats() Stats {
	return Stats{Size: cap(g.slots), InFlight: len(g.slots), Waiting: g.waiting.Load(),
		Shed: g.shed.Load(), Gone: g.gone.Load()}
}

type goneKey struct{}

// WithGone gives ctx a test of whether the client of the request has gone
// (the server installs one per request). Acquire asks it once a slot is
// taken, right before the work: work whose client gave up while it waited
// is not done.
func WithGone(ctx context.Context, gone func() bool) context.Context {
	return context.WithValue(ctx, goneKey{}, gone)
}

// Gone says whether the client of ctx's request is known to have gone.
func Gone(ctx context.Context) bool {
	f, _ := ctx.Value(goneKey{}).(func() bool)
	return f != nil && f()
}

// New lets n pieces of work run at once; others wait up to wait for a slot.
func New(n int, wait time.Duration) *Gate {
	g := &Gate{slots: make(chan struct{}, max(n, 1))}
	g.SetWait(wait)
	return g
}

// NewQueued is New with at most queue pieces of work waiting for a slot
// (n + queue admitted in all); beyond them work is refused at once
// (ErrBusy).
func NewQueued(n, queue int, wait time.Duration) *Gate {
	g := New(n, wait)
	g.SetQueue(queue)
	return g
}

// Size is how many may run at once.
func (g *Gate) Size() int { return cap(g.slots) }

// SetWait changes how long work waits for a slot (tests shorten it).
func (g *Gate) SetWait(d time.Duration) { g.wait.Store(int64(d)) }

// SetQueue bounds the work that may wait for a slot: beyond it work is
// refused at once (ErrBusy), since it would only wait out its time and
// add to everyone's latency. 0 lets any number wait.
func (g *Gate) SetQueue(n int) { g.queue.Store(int64(n)) }

// Wait is how long work waits for a slot.
func (g *Gate) Wait() time.Duration { return time.Duration(g.wait.Load()) }

// Acquire takes a slot, waiting at most the gate's wait (or until ctx
// ends); the caller must call release once. ErrBusy when none came free,
// ErrGone when the client of ctx had gone by the time one did.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	n := g.admitted.Add(1)
	if q := g.queue.Load(); q > 0 && n > int64(cap(g.slots))+q {
		g.admitted.Add(-1)
		g.shed.Add(1)
		return nil, ErrBusy
	}
	release = func() {
		g.admitted.Add(-1)
		<-g.slots
	}
	select {
	case g.slots <- struct{}{}:
		return g.checkGone(ctx, release)
	default:
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.Wait())
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.checkGone(ctx, release)
	case <-t.C:
		g.admitted.Add(-1)
		g.shed.Add(1)
		return nil, ErrBusy
	case <-ctx.Done():
		g.admitted.Add(-1)
		return nil, ctx.Err()
	}
}

func (g *Gate) checkGone(ctx context.Context, release func()) (func(), error) {
	if Gone(ctx) {
		release()
		g.gone.Add(1)
		return nil, ErrGone
	}
	return release, nil
}
