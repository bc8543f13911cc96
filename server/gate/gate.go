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

// RetryAfter is the Retry-After (in seconds) to send with ErrBusy.
const RetryAfter = 2

// Gate lets Size pieces of work run at once.
type Gate struct {
	slots chan struct{}
	wait  atomic.Int64 // time.Duration
}

// New lets n pieces of work run at once; others wait up to wait for a slot.
func New(n int, wait time.Duration) *Gate {
	g := &Gate{slots: make(chan struct{}, max(n, 1))}
	g.SetWait(wait)
	return g
}

// Size is how many may run at once.
func (g *Gate) Size() int { return cap(g.slots) }

// SetWait changes how long work waits for a slot (tests shorten it).
func (g *Gate) SetWait(d time.Duration) { g.wait.Store(int64(d)) }

// Wait is how long work waits for a slot.
func (g *Gate) Wait() time.Duration { return time.Duration(g.wait.Load()) }

// Acquire takes a slot, waiting at most the gate's wait (or until ctx
// ends); the caller must call release once. ErrBusy when none came free.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(g.Wait())
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
