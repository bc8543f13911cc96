// Package ratelimit counts attempts per client in fixed windows, in the
// database so every instance sees the same counts. The client key (for
// example an IP address) is never stored: only a keyed hash that changes
// with every window, so stored counts cannot be tied to a visitor.
package ratelimit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

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

func (l *Limiter) id(key string) (string, time.Time) {
	start := l.now().Truncate(l.Window)
	mac := l.seal.MAC("ratelimit", l.Name, strconv.FormatInt(start.Unix(), 10), key)
	return base64.RawURLEncoding.EncodeToString(mac[:18]), start.Add(l.Window)
}

// Hit counts one attempt and says whether the client is now over the limit
// and how long until the window ends.
func (l *Limiter) Hit(ctx context.Context, key string) (bool, time.Duration, error) {
	id, end := l.id(key)
	var doc struct {
		N int `bson:"n"`
	}
	err := l.st.C(collection).FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$inc": bson.M{"n": 1}, "$set": bson.M{"expires": end}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: hit %s: %w", l.Name, err)
	}
	return doc.N > l.Max, time.Until(end), nil
}

// Blocked says whether the client is over the limit, without counting.
func (l *Limiter) Blocked(ctx context.Context, key string) (bool, time.Duration, error) {
	id, end := l.id(key)
	var doc struct {
		N int `bson:"n"`
	}
	err := l.st.C(collection).FindOne(ctx, bson.M{"_id": id}).Decode(&doc)
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return false, 0, nil
		}
		return false, 0, fmt.Errorf("ratelimit: check %s: %w", l.Name, err)
	}
	return doc.N >= l.Max, time.Until(end), nil
}

// Sweep deletes expired counters (no TTL indexes in FerretDB v1).
func Sweep(ctx context.Context, st *store.Store) error {
	_, err := st.C(collection).DeleteMany(ctx, bson.M{"expires": bson.M{"$lt": time.Now()}})
	if err != nil {
		return fmt.Errorf("ratelimit: sweep: %w", err)
	}
	return nil
}
