package group

import (
	"context"
	"sync"
	"sync/atomic"
)

// Fresh lets callers at once share the refreshing of a state read from the
// database: a caller that waited is served by the next refresh that began
// after it asked. That refresh saw every write made before the caller
// asked, so the caller sees what a read of its own would have shown, and
// callers under load make one refresh, not one each.
type Fresh struct {
	mu       sync.Mutex
	arrivals atomic.Int64 // numbers the callers as they ask
	covered  int64        // the callers the last refresh serves: 1..covered
}

// Do runs use under the lock, after refresh unless a refresh that began
// after this caller asked succeeded already.
func (f *Fresh) Do(refresh func() error, use func()) error {
	arrival := f.arrivals.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if arrival > f.covered {
		begun := f.arrivals.Load()
		if err := refresh(); err != nil {
			return err
		}
		f.covered = begun
	}
	use()
	return nil
}

// Hold runs g under the lock without refreshing. When g says it put an
// older state in place, every caller refreshes again.
func (f *Fresh) Hold(g func() (older bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g() {
		f.covered = 0
	}
}

// Shared is one value read from the database, shared as Fresh says. The
// value is the same for every caller: read it, never change it.
type Shared[T any] struct {
	fresh Fresh
	read  func(ctx context.Context) (T, error)
	val   T
}

// NewShared returns a Shared value read with read.
func NewShared[T any](read func(ctx context.Context) (T, error)) *Shared[T] {
	return &Shared[T]{read: read}
}

// Get returns the value as a read begun after this call would.
func (s *Shared[T]) Get(ctx context.Context) (T, error) {
	var v T
	err := s.fresh.Do(func() error {
		x, err := s.read(ctx)
		if err == nil {
			s.val = x
		}
		return err
	}, func() { v = s.val })
	return v, err
}
