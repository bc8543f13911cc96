package ratelimit

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// BenchmarkTakeUndo: one attempt taken and taken back (a status look-up
// that finds her case), with 0 or 10,000 attempts of other clients
// standing. Both are by _id, so the second costs what the first does.
//
//	go test -run '^$' -bench TakeUndo ./server/ratelimit/
func BenchmarkTakeUndo(b *testing.B) {
	for _, others := range []int{0, 10000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			st := storetest.New(b)
			s, _ := seal.New(bytes.Repeat([]byte{7}, 32))
			l := New(st, s, "bench", 10, time.Hour, pinned)
			if err := st.EnsureIndexes(b.Context(), Index()); err != nil {
				b.Fatal(err)
			}
			var docs []any
			for i := range others {
				docs = append(docs, bson.M{"_id": fmt.Sprintf("other%06d.%d", i/10, i%10+1), "k": fmt.Sprintf("other%06d", i/10), "expires": pinnedAt.Add(time.Hour)})
			}
			for len(docs) > 0 {
				k := min(len(docs), 1000)
				if err := st.InsertAll(b.Context(), collection, docs[:k]); err != nil {
					b.Fatal(err)
				}
				docs = docs[k:]
			}
			b.ResetTimer()
			for i := range b.N {
				a, err := l.Take(b.Context(), fmt.Sprintf("client %d", i))
				if err != nil || !a.Allowed {
					b.Fatalf("take: %v", err)
				}
				if err := a.Undo(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
