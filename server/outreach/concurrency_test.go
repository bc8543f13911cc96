package outreach_test

// Concurrency probes: many callers at one moment, on one store and on two
// stores opened on the same database (two instances). Card counts must add
// up exactly, a resent count must count once, and a revoked tablet must
// stay revoked whatever the tablet itself was doing at that moment.

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// instances runs probe with one store, then with two stores opened on one
// database as two server instances would be; callers spread their
// goroutines over the stores they are given.
func instances(t *testing.T, probe func(t *testing.T, stores []*store.Store)) {
	t.Helper()
	idx := append(outreach.Indexes(), cards.Indexes()...)
	t.Run("one_instance", func(t *testing.T) {
		st := storetest.New(t)
		if err := st.EnsureIndexes(context.Background(), idx...); err != nil {
			t.Fatal(err)
		}
		probe(t, []*store.Store{st})
	})
	t.Run("two_instances", func(t *testing.T) {
		stores := storetest.Instances(t, 2)
		if err := stores[0].EnsureIndexes(context.Background(), idx...); err != nil {
			t.Fatal(err)
		}
		probe(t, stores)
	})
}

// instance is what one server has: its own card service, rounds and syncer
// on its own store.
type instance struct {
	cards   *cards.Service
	devices *outreach.Devices
	sync    *outreach.Syncer
}

func newInstances(stores []*store.Store) []instance {
	out := make([]instance, len(stores))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sl, err := seal.New(key)
	if err != nil {
		panic(err)
	}
	for i, st := range stores {
		cs := cards.NewService(cards.Config{Store: st})
		out[i] = instance{
			cards:   cs,
			devices: outreach.NewDevices(outreach.DevicesConfig{Store: st}),
			// Only card counts are synced here: no intake, no translator.
			sync: outreach.NewSyncer(nil, outreach.NewRounds(st, sl, cs), nil, nil),
		}
	}
	return out
}

// handedOut reads a batch's hand-out total from the batches overview.
func handedOut(t *testing.T, cs *cards.Service, batch string) int {
	t.Helper()
	all, err := cs.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if b.Batch.ID == batch {
			return b.HandedOut
		}
	}
	t.Fatalf("batch %s not in the stats", batch)
	return 0
}

func newBatch(t *testing.T, cs *cards.Service) string {
	t.Helper()
	b, err := cs.Create(context.Background(), cards.NewBatch{
		Label: "Zandpad", Count: 2, Language: "ro", Variant: cards.VariantEvening,
	}, "u-coord")
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// 32 tablets each syncing a count of one card of the same batch at the same
// moment raise the batch's total by exactly 32.
func TestConcurrentCardCountsAddUp(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		in := newInstances(stores)
		batch := newBatch(t, in[0].cards)
		round := uuid.NewString()
		today := time.Now().Format("2006-01-02")
		const n = 32
		results := make([]outreach.SyncResponse, n)
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			x := in[i%len(in)]
			dev := outreach.Device{ID: "dev-" + uuid.NewString()}
			results[i], errs[i] = x.sync.Sync(context.Background(), dev, outreach.SyncRequest{Cards: []outreach.CardCount{{
				ID: uuid.NewString(), Round: round, Batch: batch, Date: today, Count: 1, Setting: "window",
			}}})
		})
		for i := range n {
			if errs[i] != nil {
				t.Errorf("sync %d: %v", i, errs[i])
			} else if r := results[i].Cards; len(r) != 1 || r[0].Result != outreach.Created {
				t.Errorf("sync %d: %+v, want one created", i, r)
			}
		}
		if got := handedOut(t, in[0].cards, batch); got != n {
			t.Errorf("%d concurrent counts of 1 raised the total to %d", n, got)
		}
	})
}

// The same count resent by a tablet several times at once (a flaky
// connection, two tabs) is one count: it raises the total once, is created
// once and answered as a duplicate otherwise. An atomic store alone does
// not make this pass: SaveCards applies a record it finds unapplied, and
// every concurrent resend finds it so while the first is still applying.
func TestConcurrentResentCardCountAppliedOnce(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		in := newInstances(stores)
		batch := newBatch(t, in[0].cards)
		dev := outreach.Device{ID: "dev-" + uuid.NewString()}
		count := outreach.CardCount{
			ID: uuid.NewString(), Round: uuid.NewString(), Batch: batch,
			Date: time.Now().Format("2006-01-02"), Count: 7, Setting: "street",
		}
		const n = 16
		results := make([]string, n)
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			resp, err := in[i%len(in)].sync.Sync(context.Background(), dev, outreach.SyncRequest{Cards: []outreach.CardCount{count}})
			errs[i] = err
			if err == nil && len(resp.Cards) == 1 {
				results[i] = resp.Cards[0].Result
			}
		})
		created := 0
		for i := range n {
			switch {
			case errs[i] != nil:
				t.Errorf("sync %d: %v", i, errs[i])
			case results[i] == outreach.Created:
				created++
			case results[i] != outreach.Duplicate:
				t.Errorf("sync %d: result %q", i, results[i])
			}
		}
		if created != 1 {
			t.Errorf("the same count sent %d times at once was created %d times, want once", n, created)
		}
		if got := handedOut(t, in[0].cards, batch); got != count.Count {
			t.Errorf("the same count of %d sent %d times at once raised the total to %d", count.Count, n, got)
		}
		// The tablet's retry later still answers duplicate and adds nothing.
		resp, err := in[0].sync.Sync(context.Background(), dev, outreach.SyncRequest{Cards: []outreach.CardCount{count}})
		if err != nil || len(resp.Cards) != 1 || resp.Cards[0].Result != outreach.Duplicate {
			t.Errorf("later resend: %v %+v", err, resp.Cards)
		}
		if got := handedOut(t, in[0].cards, batch); got != count.Count {
			t.Errorf("after a later resend the total is %d, want %d", got, count.Count)
		}
	})
}

// An admin revokes a tablet while the tablet syncs (each sync authenticates
// and notes last_seen): the tablet stays revoked and its token is refused.
func TestRevokeWhileDeviceSyncsStaysRevoked(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		in := newInstances(stores)
		ctx := context.Background()
		const rounds, n = 12, 16
		for r := range rounds {
			dev, token, err := in[0].devices.Create(ctx, "u-outreach", "tablet")
			if err != nil {
				t.Fatal(err)
			}
			// Seen long ago, so every sync notes the time again.
			if _, err := stores[0].C("outreach_devices").UpdateOne(ctx, bson.D{{Key: "_id", Value: dev.ID}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen", Value: time.Now().Add(-time.Hour)}}}}); err != nil {
				t.Fatal(err)
			}
			errs := make([]error, n+1)
			storetest.Together(n+1, func(i int) {
				x := in[i%len(in)]
				if i == n {
					errs[i] = x.devices.Revoke(ctx, dev.ID, "u-admin")
					return
				}
				if _, err := x.devices.Authenticate(ctx, token); err != nil && !errors.Is(err, outreach.ErrUnauthorized) {
					errs[i] = err
				}
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, call %d: %v", r, i, err)
				}
			}
			got, err := in[0].devices.Get(ctx, dev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Revoked || got.RevokedAt == nil || got.RevokedBy != "u-admin" {
				t.Fatalf("round %d: revoked during syncs, the device reads revoked=%v at=%v by=%q", r, got.Revoked, got.RevokedAt, got.RevokedBy)
			}
			for _, x := range in {
				if _, err := x.devices.Authenticate(ctx, token); !errors.Is(err, outreach.ErrUnauthorized) {
					t.Fatalf("round %d: revoked token still authenticates: %v", r, err)
				}
			}
		}
	})
}
