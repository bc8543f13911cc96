package gate

import (
	"context"
	"errors"
	"testing"
	"time"
)

// At most Size hashes run at once; the next waits for a slot, and gives up
// with ErrBusy after the wait or when its request ends.
func TestGateBoundsAndWaits(t *testing.T) {
	g := New(2, 100*time.Millisecond)
	var held []func()
	for range g.Size() {
		r, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	start := time.Now()
	if _, err := g.Acquire(t.Context()); !errors.Is(err, ErrBusy) {
		t.Fatalf("third at once: %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("gave up after %v, before the wait", waited)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := g.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended request: %v", err)
	}
	held[0]()
	held[1]()

	// A slot that comes free goes to one that waits.
	g = New(1, time.Minute)
	release, err := g.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := g.Acquire(t.Context())
		if err == nil {
			r()
		}
		got <- err
	}()
	release()
	if err := <-got; err != nil {
		t.Fatalf("waiter did not get the freed slot: %v", err)
	}
}
