// Package ratelimit counts attempts per client in fixed windows, in the
// database so every instance sees the same counts. The client key (for
// example an IP address) is never stored: only a keyed hash that changes
// with every window, so stored counts cannot be tied to a visitor.
package ratelimit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

const collection = "rate_limits"

// Limiter allows Max hits per Window for one purpose (Name).
type Limiter struct {
	Name   string
	Max    int
	Window time.Duration
	st     *store.Store
	seal   *seal.Sealer
	now    func() time.Time
}

// New builds a limiter.
func New(st *store.Store, s *seal.Sealer, name string, max int, window time.Duration) *Limiter {
	return &Limiter{Name: name, Max: max, Window: window, st: st, seal: s, now: time.Now}
}

func (l *Limiter) key(key string) (string, time.Time) {
	start := l.now().Truncate(l.Window)
	mac := l.seal.MAC("ratelimit", l.Name, strconv.FormatInt(start.Unix(), 10), key)
	return base64.RawURLEncoding.EncodeToString(mac[:18]), start.Add(l.Window)
}

// Hit counts one attempt and says whether the client is now over the limit
// and how long until the window ends. Every attempt is one inserted
// document, counted after the insert: FerretDB v1 loses concurrent $inc
// updates, and inserting first means parallel attempts cannot all slip
// under the limit.
func (l *Limiter) Hit(ctx context.Context, key string) (bool, time.Duration, error) {
	k, end := l.key(key)
	if err := l.st.Insert(ctx, collection, bson.M{"k": k, "expires": end}); err != nil {
		return false, 0, fmt.Errorf("ratelimit: hit %s: %w", l.Name, err)
	}
	n, err := l.count(ctx, k)
	if err != nil {
		return false, 0, err
	}
	return n > int64(l.Max), time.Until(end), nil
}

// Blocked says whether the client has used up the limit, without counting.
func (l *Limiter) Blocked(ctx context.Context, key string) (bool, time.Duration, error) {
	k, end := l.key(key)
	n, err := l.count(ctx, k)
	if err != nil {
		return false, 0, err
	}
	return n >= int64(l.Max), time.Until(end), nil
}

func (l *Limiter) count(ctx context.Context, k string) (int64, error) {
	n, err := l.st.C(collection).CountDocuments(ctx, bson.M{"k": k})
	if err != nil {
		return 0, fmt.Errorf("ratelimit: count %s: %w", l.Name, err)
	}
	return n, nil
}

// Index makes counting by key cheap.
func Index() store.Index {
	return store.Index{Collection: collection, Keys: bson.D{{Key: "k", Value: 1}}, Name: "k"}
}

// Sweep deletes expired counters (no TTL indexes in FerretDB v1).
func Sweep(ctx context.Context, st *store.Store) error {
	// Hits are only ever inserted, so a purge cannot undo anyone's write.
	_, err := st.Purge(ctx, collection, bson.M{"expires": bson.M{"$lt": time.Now()}})
	if err != nil {
		return fmt.Errorf("ratelimit: sweep: %w", err)
	}
	return nil
}
