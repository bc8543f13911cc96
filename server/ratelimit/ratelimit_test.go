package ratelimit

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// takeParallel takes n attempts for key released at once and returns the
// allowed ones.
func takeParallel(t *testing.T, l *Limiter, key string, n int) []*Attempt {
	t.Helper()
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		start   = make(chan struct{})
		allowed []*Attempt
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := l.Take(context.Background(), key)
			if err != nil {
				t.Error(err)
				return
			}
			if a.Allowed {
				mu.Lock()
				allowed = append(allowed, a)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	return allowed
}

// pinned is a clock at the start of an hour that does not move: a test
// that fills a limit must not see the window turn because it ran across
// an hour.
func pinned() time.Time { return pinnedAt }

var pinnedAt = time.Now().Truncate(time.Hour)

func stored(t *testing.T, l *Limiter) int64 {
	t.Helper()
	n, err := l.st.C(collection).CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLimitHoldsUnderParallelAttempts(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	l := New(st, s, "test", 5, time.Hour, pinned)
	ctx := context.Background()
	if allowed := takeParallel(t, l, "203.0.113.9", 30); len(allowed) > 5 {
		t.Fatalf("%d of 30 parallel attempts allowed, limit 5", len(allowed))
	}
	// Refused attempts are taken back: a flood leaves at most the limit.
	if n := stored(t, l); n > 5 {
		t.Fatalf("%d attempts stored after a flood, limit 5", n)
	}
	// Fill the limit one by one, then the client is refused; another is not.
	for i := 0; ; i++ {
		a, err := l.Take(ctx, "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		if !a.Allowed {
			if a.Wait <= 0 || a.Wait > time.Hour {
				t.Fatalf("wait %v", a.Wait)
			}
			break
		}
		if i >= 5 {
			t.Fatal("more than 5 attempts allowed one by one")
		}
	}
	if a, _ := l.Take(ctx, "198.51.100.1"); a == nil || !a.Allowed {
		t.Fatal("another client must not be limited")
	}
	// The address is never stored, only a keyed hash.
	var docs []bson.M
	cur, _ := st.C(collection).Find(ctx, bson.M{})
	_ = cur.All(ctx, &docs)
	for _, d := range docs {
		for _, v := range d {
			if s, ok := v.(string); ok && (s == "203.0.113.9" || bytes.Contains([]byte(s), []byte("203.0"))) {
				t.Fatalf("address stored: %v", d)
			}
		}
	}
	l.now = func() time.Time { return pinnedAt.Add(time.Hour) }
	if a, _ := l.Take(ctx, "203.0.113.9"); a == nil || !a.Allowed {
		t.Fatal("a new window must start fresh")
	}
}

// An attempt taken back (a success) frees its place; one that stands does
// not, and taking back twice frees only one place.
func TestUndoFreesThePlace(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{4}, 32))
	l := New(st, s, "test", 3, time.Hour, pinned)
	ctx := context.Background()
	for i := range 20 {
		a, err := l.Take(ctx, "k")
		if err != nil || !a.Allowed {
			t.Fatalf("success %d refused: %v", i+1, err)
		}
		if err := a.Undo(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Undo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if a, _ := l.Take(ctx, "k"); a == nil || !a.Allowed {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	if a, _ := l.Take(ctx, "k"); a == nil || a.Allowed {
		t.Fatal("fourth failure allowed, limit 3")
	}
	// Parallel successes, each taken back, leave nothing counted.
	l2 := New(st, s, "test2", 3, time.Hour, pinned)
	for _, a := range takeParallel(t, l2, "k", 10) {
		if err := a.Undo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a, _ := l2.Take(ctx, "k"); a == nil || !a.Allowed {
		t.Fatal("successes taken back still count")
	}
	// A cancelled request still takes its attempt back.
	a, _ := l2.Take(ctx, "k2")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.Undo(cctx); err != nil {
		t.Fatalf("undo after the request ended: %v", err)
	}
}

// TakeAll: allowed only within every limit; one client over its own limit
// is refused before it touches the wide one, and Undo takes back all.
func TestTakeAllCountsEveryLimit(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{4}, 32))
	perClient := New(st, s, "per-client", 2, time.Hour, pinned)
	global := New(st, s, "global", 3, time.Hour, pinned)
	take := func(client string) *Attempt {
		t.Helper()
		a, err := TakeAll(t.Context(), Keyed{perClient, client}, Keyed{global, "all"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1, a2 := take("a"), take("a")
	if !a1.Allowed || !a2.Allowed {
		t.Fatal("first two from one client refused")
	}
	if a := take("a"); a.Allowed || a.Wait <= 0 {
		t.Fatalf("third from one client: %+v", a)
	}
	if n := stored(t, global); n != 4 {
		t.Fatalf("%d attempts stored, want 2 per client + 2 global", n)
	}
	if a := take("b"); !a.Allowed {
		t.Fatal("another client refused within the global limit")
	}
	if a := take("c"); a.Allowed {
		t.Fatal("over the global limit allowed")
	}
	if err := a2.Undo(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := stored(t, global); n != 4 {
		t.Fatalf("%d attempts stored after Undo, want 4", n)
	}
	if a := take("c"); !a.Allowed {
		t.Fatal("a taken-back attempt still counts globally")
	}
}

// Sweep goes by the limiters' clock: a count stands until its window has
// ended on that clock, whatever the wall clock says (dates are stored to
// the millisecond).
func TestSweepFollowsTheClock(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{5}, 32))
	l := New(st, s, "test", 1, 15*time.Minute, pinned)
	if a, err := l.Take(t.Context(), "k"); err != nil || !a.Allowed {
		t.Fatalf("first attempt: %v", err)
	}
	if err := Sweep(t.Context(), st, pinnedAt.Add(15*time.Minute-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if a, _ := l.Take(t.Context(), "k"); a == nil || a.Allowed {
		t.Fatal("swept before its window ended")
	}
	if err := Sweep(t.Context(), st, pinnedAt.Add(15*time.Minute+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := stored(t, l); n != 0 {
		t.Fatalf("%d attempts left after their window ended", n)
	}
}

// Two instances (two limiters on one database) hold one limit together:
// parallel attempts on both stand at most Max times, and a place one
// instance takes back is taken by the other (at the latest fullFor after
// it found the key full).
func TestLimitHoldsAcrossInstances(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{6}, 32))
	a := New(st, s, "test", 4, time.Hour, pinned)
	b := New(st, s, "test", 4, time.Hour, pinned)
	var (
		mu      sync.Mutex
		allowed []*Attempt
		wg      sync.WaitGroup
	)
	for _, l := range []*Limiter{a, b, a, b} {
		wg.Go(func() {
			got := takeParallel(t, l, "k", 10)
			mu.Lock()
			allowed = append(allowed, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(allowed) != 4 {
		t.Fatalf("%d of 40 parallel attempts on two instances allowed, want the limit 4", len(allowed))
	}
	if n := stored(t, a); n != 4 {
		t.Fatalf("%d attempts stored, want 4", n)
	}
	for _, l := range []*Limiter{a, b} {
		if got, err := l.Take(t.Context(), "k"); err != nil || got.Allowed {
			t.Fatalf("a fifth attempt: %+v %v", got, err)
		}
	}
	// The other instance than the one that took it sees the place free.
	from, other := allowed[0].l, a
	if from == a {
		other = b
	}
	if err := allowed[0].Undo(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * fullFor)
	for {
		got, err := other.Take(t.Context(), "k")
		if err != nil {
			t.Fatal(err)
		}
		if got.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place taken back on one instance was not taken on the other within %v", 10*fullFor)
		}
		time.Sleep(fullFor / 10)
	}
	if got, err := from.Take(t.Context(), "k"); err == nil && got.Allowed {
		t.Fatal("a place taken back was taken twice")
	}
	if n := stored(t, a); n != 4 {
		t.Fatalf("%d attempts stored, want 4", n)
	}
}
