package group

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// Callers at once: every item written exactly once, each caller's in its
// order and together, in fewer writes than callers; a caller returns only
// after the write that carried its items.
func TestCallersAtOnceShareWrites(t *testing.T) {
	var mu sync.Mutex
	var written [][]string
	release := make(chan struct{})
	first := true
	q := New(func(_ context.Context, items []string) error {
		if first {
			first = false
			<-release // the others line up meanwhile
		}
		mu.Lock()
		written = append(written, slices.Clone(items))
		mu.Unlock()
		return nil
	})
	const callers = 50
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = q.Write(t.Context(), "first")
	})
	for !q.holding() {
		runtime.Gosched()
	}
	var lined sync.WaitGroup
	for c := range callers {
		lined.Add(1)
		wg.Go(func() {
			lined.Done()
			if err := q.Write(t.Context(), fmt.Sprintf("%d-a", c), fmt.Sprintf("%d-b", c)); err != nil {
				t.Errorf("caller %d: %v", c, err)
			}
			mu.Lock()
			found := false
			for _, w := range written {
				found = found || slices.Contains(w, fmt.Sprintf("%d-b", c))
			}
			mu.Unlock()
			if !found {
				t.Errorf("caller %d returned before its items were written", c)
			}
		})
	}
	lined.Wait()
	for q.waiting() < callers {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()

	seen := map[string]int{}
	for _, w := range written {
		for i, it := range w {
			seen[it]++
			if it[len(it)-1] == 'a' && (i+1 >= len(w) || w[i+1] != it[:len(it)-1]+"b") {
				t.Errorf("a caller's items apart or out of order in %v", w)
			}
		}
	}
	if len(seen) != 2*callers+1 {
		t.Errorf("%d different items written, want %d", len(seen), 2*callers+1)
	}
	for it, n := range seen {
		if n != 1 {
			t.Errorf("%s written %d times", it, n)
		}
	}
	if len(written) != 2 {
		t.Errorf("%d writes for %d callers lined up behind one, want 2", len(written), callers+1)
	}
}

// A failed write fails every caller it carried, and the next write is
// tried afresh.
func TestFailedWriteFailsItsCallers(t *testing.T) {
	bad := errors.New("disk full")
	fail := true
	q := New(func(context.Context, []int) error {
		if fail {
			fail = false
			return bad
		}
		return nil
	})
	if err := q.Write(t.Context(), 1); !errors.Is(err, bad) {
		t.Fatalf("first write: %v", err)
	}
	if err := q.Write(t.Context(), 2); err != nil {
		t.Fatalf("second write: %v", err)
	}
}

// A caller whose request ends still has its write carried out: the items
// of others may ride on it.
func TestWriteOutlastsItsCaller(t *testing.T) {
	var got []int
	q := New(func(ctx context.Context, items []int) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		got = append(got, items...)
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := q.Write(ctx, 7); err != nil || !slices.Equal(got, []int{7}) {
		t.Fatalf("write under an ended context: %v, wrote %v", err, got)
	}
}

// holding and waiting say what the queue is doing.
func (q *Queue[T]) holding() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.busy
}

func (q *Queue[T]) waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}
