// Package group writes together what several callers write at once: one
// caller at a time writes everything waiting, in one go, and the others
// wait for the write that carried their items. On the embedded database
// every command is a transaction with its own sync to disk, parsed and
// turned into SQL: one insert of twenty documents costs little more than
// one of a single document.
package group

import (
	"context"
	"sync"
)

// Queue lines up one process's items for write.
type Queue[T any] struct {
	write func(ctx context.Context, items []T) error

	mu      sync.Mutex
	busy    bool // a caller is writing; what waits is its to write next
	pending []wait[T]
}

type wait[T any] struct {
	items []T
	done  chan error // the outcome of the write that carried items
}

// New returns a queue that writes with write, which gets the items of
// every caller waiting, in the order they came.
func New[T any](write func(ctx context.Context, items []T) error) *Queue[T] {
	return &Queue[T]{write: write}
}

// Write writes items, beside those of the callers under way, and returns
// the outcome of the write that carried them. It waits for that write
// whatever ctx says: a caller may carry the others' items, and what was
// changed must be written once begun.
func (q *Queue[T]) Write(ctx context.Context, items ...T) error {
	w := wait[T]{items: items, done: make(chan error, 1)}
	q.mu.Lock()
	q.pending = append(q.pending, w)
	if q.busy {
		q.mu.Unlock()
		return <-w.done
	}
	q.busy = true
	ctx = context.WithoutCancel(ctx)
	for len(q.pending) > 0 {
		batch := q.pending
		q.pending = nil
		q.mu.Unlock()
		var all []T
		for _, b := range batch {
			all = append(all, b.items...)
		}
		err := q.write(ctx, all)
		for _, b := range batch {
			b.done <- err
		}
		q.mu.Lock()
	}
	q.busy = false
	q.mu.Unlock()
	return <-w.done
}
