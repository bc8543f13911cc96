package store_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store/storetest"
)

// BenchmarkUpdateThroughTheRoute is what a guarded update costs on the
// embedded database (claim, guarded write, release); BenchmarkRawUpdate
// is the driver's bare UpdateOne, which FerretDB does not apply atomically,
// for comparison.
func BenchmarkUpdateThroughTheRoute(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	if err := st.Insert(ctx, "c", bson.M{"_id": "x", "n": 0}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := st.Update(ctx, "c", bson.M{"_id": "x"}, bson.M{"$inc": bson.M{"n": 1}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawUpdate(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	if err := st.Insert(ctx, "c", bson.M{"_id": "x", "n": 0}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := st.C("c").UpdateOne(ctx, bson.M{"_id": "x"}, bson.M{"$inc": bson.M{"n": 1}}); err != nil {
			b.Fatal(err)
		}
	}
}
