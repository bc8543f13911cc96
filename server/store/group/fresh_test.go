package group

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// slowDB is a value behind a read that the test lets finish.
type slowDB struct {
	value   atomic.Int64
	reads   atomic.Int64
	started chan struct{} // a read began
	finish  chan struct{} // let one read finish
}

func (d *slowDB) read(context.Context) (int64, error) {
	d.reads.Add(1)
	v := d.value.Load() // what the database holds when the read begins
	d.started <- struct{}{}
	<-d.finish
	return v, nil
}

// Callers that ask while a read is under way share the next read; a
// caller that asks after a write never gets a read that began before it.
func TestSharedReadIsFreshAndShared(t *testing.T) {
	db := &slowDB{started: make(chan struct{}, 100), finish: make(chan struct{})}
	s := NewShared(db.read)
	var wg sync.WaitGroup

	// A read begins and is held; then the database changes and callers ask.
	var first int64
	wg.Go(func() { first, _ = s.Get(t.Context()) })
	<-db.started
	db.value.Store(1)
	const callers = 20
	got := make([]int64, callers)
	for i := range callers {
		wg.Go(func() {
			v, err := s.Get(t.Context())
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	for s.fresh.arrivals.Load() < callers+1 {
		runtime.Gosched()
	}
	db.finish <- struct{}{} // the first read ends, with what it saw: 0
	<-db.started            // one read for all the callers
	db.finish <- struct{}{}
	wg.Wait()

	if first != 0 {
		t.Errorf("the first caller got %d, want 0", first)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("caller %d, who asked after the write, got %d", i, v)
		}
	}
	if n := db.reads.Load(); n != 2 {
		t.Errorf("%d reads for %d callers who asked during one read, want 2", n, callers+1)
	}
}

// A failed read serves nobody: the next caller reads again.
func TestSharedReadFailureIsNotKept(t *testing.T) {
	bad := errors.New("database gone")
	fail := true
	s := NewShared(func(context.Context) (int, error) {
		if fail {
			fail = false
			return 0, bad
		}
		return 7, nil
	})
	if _, err := s.Get(t.Context()); !errors.Is(err, bad) {
		t.Fatalf("first: %v", err)
	}
	if v, err := s.Get(t.Context()); err != nil || v != 7 {
		t.Fatalf("second: %d %v", v, err)
	}
}

// Hold with an older state in place makes every caller refresh again.
func TestHoldOlderStateRefreshesAgain(t *testing.T) {
	var f Fresh
	refreshes := 0
	refresh := func() error { refreshes++; return nil }
	for range 2 {
		if err := f.Do(refresh, func() {}); err != nil {
			t.Fatal(err)
		}
	}
	f.Hold(func() bool { return false })
	before := refreshes
	f.Hold(func() bool { return true })
	if err := f.Do(func() error { refreshes++; return nil }, func() {}); err != nil {
		t.Fatal(err)
	}
	if before != 2 || refreshes != 3 {
		t.Errorf("refreshes: %d before the older state, %d after, want 2 and 3", before, refreshes)
	}
}
