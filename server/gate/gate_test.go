package gate

import (
	"context"
	"errors"
	"runtime"
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

// Work whose client went away while it waited is not done, and the gate
// counts what it shed and dropped (for the metrics).
func TestGateDropsWorkOfGoneClients(t *testing.T) {
	g := New(1, 20*time.Millisecond)
	release, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Acquire(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("full gate: %v, want ErrBusy", err)
	}
	release()
	gone := WithGone(context.Background(), func() bool { return true })
	if _, err := g.Acquire(gone); !errors.Is(err, ErrGone) {
		t.Fatalf("client gone: %v, want ErrGone", err)
	}
	st := g.Stats()
	if st.Size != 1 || st.InFlight != 0 || st.Shed != 1 || st.Gone != 1 || st.Waiting != 0 {
		t.Fatalf("stats %+v, want size 1, none in flight, 1 shed, 1 gone", st)
	}
	here := WithGone(context.Background(), func() bool { return false })
	r, err := g.Acquire(here)
	if err != nil || g.Stats().InFlight != 1 {
		t.Fatalf("client here: %v %+v", err, g.Stats())
	}
	r()
}

// A closed loop of exactly slots + queue clients (each sends again as soon
// as it has its answer) is never shed: a slot handed from one that is done
// to one that waits makes room in the queue at once. Before, the waiter
// was counted as waiting until its goroutine next ran, and the next
// request, arriving in between, was refused although nobody else waited
// (on busy cores most of a closed loop's requests were shed).
func TestClosedLoopWithinQueueIsNeverShed(t *testing.T) {
	g := NewQueued(1, 1, time.Minute)
	for round := range 300 {
		first, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		waiter := make(chan error, 1)
		go func() {
			r, err := g.Acquire(t.Context())
			if err == nil {
				r()
			}
			waiter <- err
		}()
		for g.Stats().Waiting == 0 {
			runtime.Gosched()
		}
		// The first is answered; its client sends again at once.
		first()
		again, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatalf("round %d: the next request of a closed loop of 2 (1 slot, queue 1): %v", round, err)
		}
		again()
		if err := <-waiter; err != nil {
			t.Fatalf("round %d: the waiter: %v", round, err)
		}
	}
	if st := g.Stats(); st.Shed != 0 || st.InFlight != 0 || st.Waiting != 0 {
		t.Fatalf("stats after the loop %+v, want nothing shed, in flight or waiting", st)
	}
}
