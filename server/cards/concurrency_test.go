package cards_test

// Concurrency probes: many callers at one moment, on one store and on two
// stores opened on the same database (two instances). Every count must come
// out exact; a lost update is a wrong number on the batches page.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// instances runs probe with one store, then with two stores opened on one
// database as two server instances would be; callers spread their
// goroutines over the stores they are given.
func instances(t *testing.T, probe func(t *testing.T, stores []*store.Store)) {
	t.Helper()
	t.Run("one_instance", func(t *testing.T) {
		st := storetest.New(t)
		if err := st.EnsureIndexes(context.Background(), cards.Indexes()...); err != nil {
			t.Fatal(err)
		}
		probe(t, []*store.Store{st})
	})
	t.Run("two_instances", func(t *testing.T) {
		stores := storetest.Instances(t, 2)
		if err := stores[0].EnsureIndexes(context.Background(), cards.Indexes()...); err != nil {
			t.Fatal(err)
		}
		probe(t, stores)
	})
}

// services gives each store its own card service, as each instance has.
func services(stores []*store.Store) []*cards.Service {
	out := make([]*cards.Service, len(stores))
	for i, st := range stores {
		out[i] = cards.NewService(cards.Config{Store: st})
	}
	return out
}

// statsOf reads one batch's line of the batches overview.
func statsOf(t *testing.T, s *cards.Service, id string) cards.BatchStats {
	t.Helper()
	all, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if b.Batch.ID == id {
			return b
		}
	}
	t.Fatalf("batch %s not in the stats", id)
	return cards.BatchStats{}
}

// 32 phones scanning one card at the same moment count 32 scans: the first
// scan of the day creates the counter (an upsert race) and the rest add to
// it.
func TestConcurrentScansCountExactly(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		svc := services(stores)
		b := mustCreate(t, svc[0], cards.NewBatch{Count: 3})
		codes, err := svc[0].Codes(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 32
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			_, ok, err := svc[i%len(svc)].Scan(context.Background(), codes[0])
			if err == nil && !ok {
				err = cards.ErrNotFound
			}
			errs[i] = err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("scan %d: %v", i, err)
			}
		}
		if got := statsOf(t, svc[0], b.ID).Scans; got != n {
			t.Errorf("%d concurrent scans counted as %d", n, got)
		}
	})
}

// Hand-out counts arriving together (from tablets, through the card
// service) add up exactly, whether they name the batch or one of its cards.
func TestConcurrentHandoutsCountExactly(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		svc := services(stores)
		b := mustCreate(t, svc[0], cards.NewBatch{Count: 3})
		codes, err := svc[0].Codes(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 32
		day := time.Now()
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			ref := b.ID
			if i%2 == 1 {
				ref = codes[i%len(codes)]
			}
			errs[i] = svc[i%len(svc)].AddHandedOut(context.Background(), ref, i+1, day, fmt.Sprintf("handout-%d", i))
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("hand-out count %d: %v", i, err)
			}
		}
		if got, want := statsOf(t, svc[0], b.ID).HandedOut, n*(n+1)/2; got != want {
			t.Errorf("%d concurrent hand-out counts (1…%d) add up to %d, want %d", n, n, got, want)
		}
	})
}

// The print sheet opened 32 times at once counts 32 print runs, and the
// printed count and time are kept.
func TestConcurrentPrintRunsCountExactly(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		svc := services(stores)
		b := mustCreate(t, svc[0], cards.NewBatch{Count: 7})
		const n = 32
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			errs[i] = svc[i%len(svc)].MarkPrinted(context.Background(), b.ID)
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("print run %d: %v", i, err)
			}
		}
		got, err := svc[0].Get(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PrintRuns != n || got.Printed != 7 || got.PrintedAt.IsZero() {
			t.Errorf("after %d concurrent print runs: print_runs %d, printed %d, printed_at %v (want %d, 7, set)",
				n, got.PrintRuns, got.Printed, got.PrintedAt, n)
		}
		if p := statsOf(t, svc[0], b.ID).Printed; p != 7 {
			t.Errorf("stats show %d printed, want 7", p)
		}
	})
}

// Scans, hand-outs and print runs of one batch at the same time do not
// disturb each other's counts.
func TestConcurrentMixedCountsKeepEveryField(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		svc := services(stores)
		b := mustCreate(t, svc[0], cards.NewBatch{Count: 5})
		codes, err := svc[0].Codes(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 30 // 10 of each
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			s := svc[i%len(svc)]
			switch i % 3 {
			case 0:
				_, _, errs[i] = s.Scan(context.Background(), codes[i%len(codes)])
			case 1:
				errs[i] = s.AddHandedOut(context.Background(), b.ID, 2, time.Now(), fmt.Sprintf("mixed-%d", i))
			case 2:
				errs[i] = s.MarkPrinted(context.Background(), b.ID)
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		st := statsOf(t, svc[0], b.ID)
		if st.Scans != 10 || st.HandedOut != 20 || st.Batch.PrintRuns != 10 || st.Printed != 5 {
			t.Errorf("scans %d, handed out %d, print runs %d, printed %d; want 10, 20, 10, 5",
				st.Scans, st.HandedOut, st.Batch.PrintRuns, st.Printed)
		}
	})
}
