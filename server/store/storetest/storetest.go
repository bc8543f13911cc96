// Package storetest gives tests a real database: one embedded FerretDB per
// test binary, and a fresh, uniquely named database for every test.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/gehoord/gehoord/server/store"
)

var (
	once   sync.Once
	uri    string
	dir    string
	errRun error
	shared *store.Store
)

// URI returns the address of the shared embedded database, starting it on
// first use. Tests that start whole servers pass it as GEHOORD_MONGODB_URI.
func URI(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, errRun = os.MkdirTemp("", "gehoord-test-db-")
		if errRun != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		shared, errRun = store.Open(context.Background(), store.Options{DataDir: dir, DBName: "admin_probe", Logger: log})
		if errRun != nil {
			return
		}
		uri = shared.EmbeddedURI()
	})
	if errRun != nil {
		t.Fatalf("storetest: start embedded database: %v", errRun)
	}
	return uri
}

// DBName returns a fresh database name for one test.
func DBName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// New opens a store on a fresh database of the shared embedded server and
// drops it when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	u := URI(t)
	s, err := store.Open(context.Background(), store.Options{URI: u, DBName: DBName()})
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() {
		_ = s.DB.Drop(context.Background())
		_ = s.Close(context.Background())
	})
	return s
}

// Instances opens n stores on one fresh database, as n server instances
// sharing a database are (each with its own client and its own in-process
// locks). The database is dropped when the test ends.
func Instances(t testing.TB, n int) []*store.Store {
	t.Helper()
	u, db := URI(t), DBName()
	out := make([]*store.Store, 0, n)
	for range n {
		s, err := store.Open(context.Background(), store.Options{URI: u, DBName: db})
		if err != nil {
			t.Fatalf("storetest: open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		out = append(out, s)
	}
	// Registered last, so it runs before the stores close.
	t.Cleanup(func() { _ = out[0].DB.Drop(context.Background()) })
	return out
}

// Together runs f(0)…f(n-1) in n goroutines released at the same moment
// (one closed channel), and waits for all of them: the shape of every
// concurrency probe.
func Together(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}
