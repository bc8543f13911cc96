package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func TestSequenceAndUniqueAndClaim(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	if err := s.EnsureIndexes(ctx, store.Index{Collection: "x", Keys: bson.D{{Key: "k", Value: 1}}, Unique: true, Name: "k_unique"}); err != nil {
		t.Fatal(err)
	}
	// Twice: creating an existing index again must be harmless.
	if err := s.EnsureIndexes(ctx, store.Index{Collection: "x", Keys: bson.D{{Key: "k", Value: 1}}, Unique: true, Name: "k_unique"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.C("x").InsertOne(ctx, bson.M{"k": "a"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.C("x").InsertOne(ctx, bson.M{"k": "a"})
	if !store.IsDuplicate(err) {
		t.Fatalf("want duplicate key error, got %v", err)
	}
	for want := int64(1); want <= 3; want++ {
		n, err := s.NextSequence(ctx, "ref-2026")
		if err != nil || n != want {
			t.Fatalf("NextSequence = %d, %v; want %d", n, err, want)
		}
	}
	ok, err := s.ClaimOnce(ctx, "job/1", "a")
	if err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	ok, err = s.ClaimOnce(ctx, "job/1", "b")
	if err != nil || ok {
		t.Fatalf("second claim must lose: %v %v", ok, err)
	}
	var doc bson.M
	err = store.NotFound(s.C("x").FindOne(ctx, bson.M{"k": "zzz"}).Decode(&doc))
	if err != store.ErrNotFound {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestNextSequenceConcurrentFirstUse(t *testing.T) {
	s := storetest.New(t)
	const n = 16
	got := make(chan int64, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			v, err := s.NextSequence(context.Background(), "fresh")
			got <- v
			errs <- err
		}()
	}
	seen := map[int64]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		v := <-got
		if seen[v] {
			t.Fatalf("number %d given twice", v)
		}
		seen[v] = true
	}
	for i := int64(1); i <= n; i++ {
		if !seen[i] {
			t.Fatalf("numbers not 1..%d: %v", n, seen)
		}
	}
}

// TestConcurrentNumbersTakeTurns: callers in one process take numbers in
// turn, so they never race one another for the same number (a caller that
// lost a race started again after the winner, where every newcomer started
// too: under load a new case waited for seconds). Two instances still get
// numbers 1..N, each once.
func TestConcurrentNumbersTakeTurns(t *testing.T) {
	sts := storetest.Instances(t, 2)
	const callers, each = 12, 10
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*callers*each)
	for i := range 2 * callers {
		st := sts[i%2]
		wg.Go(func() {
			for range each {
				n, err := st.NextSequence(t.Context(), "turns")
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[n]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for n := int64(1); n <= 2*callers*each; n++ {
		if seen[n] != 1 {
			t.Errorf("number %d given %d times", n, seen[n])
		}
	}

	// One instance alone: not a single insert refused.
	st := storetest.New(t)
	before := st.Duplicates()
	for range callers {
		wg.Go(func() {
			for range each {
				if _, err := st.NextSequence(t.Context(), "alone"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if d := st.Duplicates() - before; d != 0 {
		t.Errorf("%d inserts refused among one instance's callers, want 0 (they raced for numbers)", d)
	}
}

// Numbers taken together, on two instances at once, are as NextSequence's
// one by one: each given once, none skipped, and the ones of one call
// ascending. The first of one call of k lands among those of the other,
// so the inserts meet numbers taken already.
func TestNextSequencesTogether(t *testing.T) {
	sts := storetest.Instances(t, 2)
	const calls, k = 10, 7
	var mu sync.Mutex
	seen := map[int64]int{}
	storetest.Together(2*calls, func(i int) {
		ns, err := sts[i%2].NextSequences(t.Context(), "together", 1+i%k)
		if err != nil {
			t.Error(err)
			return
		}
		if len(ns) != 1+i%k || !slices.IsSorted(ns) {
			t.Errorf("asked %d, got %v", 1+i%k, ns)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, n := range ns {
			seen[n]++
		}
	})
	total := 0
	for i := range 2 * calls {
		total += 1 + i%k
	}
	for n := int64(1); n <= int64(total); n++ {
		if seen[n] != 1 {
			t.Errorf("number %d given %d times", n, seen[n])
		}
	}
	if len(seen) != total {
		t.Errorf("%d numbers given, want %d", len(seen), total)
	}
	// Then one by one, after all of them.
	if n, err := sts[0].NextSequence(t.Context(), "together"); err != nil || n != int64(total)+1 {
		t.Errorf("next one: %d, %v; want %d", n, err, total+1)
	}
}
