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

func TestLimitHoldsUnderParallelAttempts(t *testing.T) {
	st := storetest.New(t)
	s, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	l := New(st, s, "test", 5, time.Hour)
	ctx := context.Background()
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			over, _, err := l.Hit(ctx, "203.0.113.9")
			if err != nil {
				t.Error(err)
				return
			}
			if !over {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed > 5 {
		t.Fatalf("%d of 20 parallel attempts allowed, limit 5", allowed)
	}
	if b, _, _ := l.Blocked(ctx, "203.0.113.9"); !b {
		t.Fatal("client should be blocked")
	}
	if b, _, _ := l.Blocked(ctx, "198.51.100.1"); b {
		t.Fatal("another client must not be blocked")
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
	l.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if b, _, _ := l.Blocked(ctx, "203.0.113.9"); b {
		t.Fatal("a new window must start fresh")
	}
}
