package store_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// race runs f(i) in n goroutines released at once, and returns their
// errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	storetest.Together(n, func(i int) { errs[i] = f(i) })
	return errs
}

func forEachSetup(t *testing.T, test func(t *testing.T, st []*store.Store)) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) { test(t, storetest.Instances(t, n)) })
	}
}

func TestCountersAreExactUnderConcurrency(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		if err := st[0].Insert(ctx, "c", bson.M{"_id": "x", "n": 0}); err != nil {
			t.Fatal(err)
		}
		const n = 32
		for i, err := range race(n, func(i int) error {
			ok, err := st[i%len(st)].Update(ctx, "c", bson.M{"_id": "x"}, bson.M{"$inc": bson.M{"n": 1}})
			if err == nil && !ok {
				err = fmt.Errorf("no document matched")
			}
			return err
		}) {
			if err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
		}
		var doc struct {
			N   int   `bson:"n"`
			Rev int64 `bson:"_rev"`
		}
		if err := st[0].C("c").FindOne(ctx, bson.M{"_id": "x"}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc.N != n || doc.Rev != n {
			t.Fatalf("after %d increments: n = %d, revision %d", n, doc.N, doc.Rev)
		}
	})
}

func TestConditionalUpdateHasOneWinner(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		if err := st[0].Insert(ctx, "c", bson.M{"_id": "case", "state": "triage"}); err != nil {
			t.Fatal(err)
		}
		const n = 16
		var mu sync.Mutex
		var winners []int
		for _, err := range race(n, func(i int) error {
			ok, err := st[i%len(st)].Update(ctx, "c", bson.M{"_id": "case", "state": "triage"},
				bson.M{"$set": bson.M{"state": fmt.Sprintf("route-%d", i), fmt.Sprintf("by_%d", i): true}})
			if ok {
				mu.Lock()
				winners = append(winners, i)
				mu.Unlock()
			}
			return err
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%d winners of one compare-and-set: %v", len(winners), winners)
		}
		var doc bson.M
		if err := st[0].C("c").FindOne(ctx, bson.M{"_id": "case"}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		w := winners[0]
		if doc["state"] != fmt.Sprintf("route-%d", w) {
			t.Fatalf("state %v, winner %d", doc["state"], w)
		}
		for i := range n {
			if _, has := doc[fmt.Sprintf("by_%d", i)]; has != (i == w) {
				t.Fatalf("loser %d left a field: %v", i, doc)
			}
		}
	})
}

func TestUpdatesOfDifferentFieldsKeepEachOther(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		if err := st[0].Insert(ctx, "c", bson.M{"_id": "u", "tags": bson.A{}}); err != nil {
			t.Fatal(err)
		}
		const n = 16
		for _, err := range race(n, func(i int) error {
			var upd bson.M
			if i%2 == 0 {
				upd = bson.M{"$set": bson.M{fmt.Sprintf("f%d", i): i}}
			} else {
				upd = bson.M{"$push": bson.M{"tags": i}}
			}
			_, err := st[i%len(st)].Update(ctx, "c", bson.M{"_id": "u"}, upd)
			return err
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		var doc bson.M
		if err := st[0].C("c").FindOne(ctx, bson.M{"_id": "u"}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i += 2 {
			if _, ok := doc[fmt.Sprintf("f%d", i)]; !ok {
				t.Fatalf("field f%d lost: %v", i, doc)
			}
		}
		if tags := doc["tags"].(bson.A); len(tags) != n/2 {
			t.Fatalf("%d of %d pushes kept: %v", len(tags), n/2, tags)
		}
	})
}

func TestUpsertMakesOneDocumentAndCountsExactly(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		const n = 24
		for _, err := range race(n, func(i int) error {
			return st[i%len(st)].Upsert(ctx, "c", "day-1", bson.M{"$inc": bson.M{"scans": 1}, "$set": bson.M{"card": "ABC"}})
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		docs, err := st[0].C("c").CountDocuments(ctx, bson.M{})
		if err != nil || docs != 1 {
			t.Fatalf("%d documents (%v)", docs, err)
		}
		var doc struct {
			Scans int `bson:"scans"`
		}
		if err := st[0].C("c").FindOne(ctx, bson.M{"_id": "day-1"}).Decode(&doc); err != nil || doc.Scans != n {
			t.Fatalf("scans = %d (%v), want %d", doc.Scans, err, n)
		}
	})
}

// TestDeleteAndUpdateDoNotUndoEachOther: a revocation-like update and a
// conditional delete race; whichever comes first, the other sees it.
func TestDeleteChecksItsConditionWhenDeleting(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		for round := range 10 {
			id := fmt.Sprintf("s%d", round)
			if err := st[0].Insert(ctx, "c", bson.M{"_id": id, "idle": true}); err != nil {
				t.Fatal(err)
			}
			var deleted, touched bool
			errs := race(2, func(i int) error {
				var err error
				if i == 0 {
					deleted, err = st[0].Delete(ctx, "c", bson.M{"_id": id, "idle": true})
				} else {
					touched, err = st[len(st)-1].Update(ctx, "c", bson.M{"_id": id}, bson.M{"$set": bson.M{"idle": false}})
				}
				return err
			})
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			n, _ := st[0].C("c").CountDocuments(ctx, bson.M{"_id": id})
			switch {
			case deleted && n != 0, !deleted && n != 1:
				t.Fatalf("deleted %v but %d documents", deleted, n)
			case !deleted && !touched:
				t.Fatal("neither the delete nor the update happened")
			}
		}
	})
}

// TestDeadWriterBlocksOnlyForItsLease: a writer that took a claim and died
// (its claim is left behind) delays the next writer by the lease at most.
func TestDeadWriterBlocksOnlyForItsLease(t *testing.T) {
	ctx := context.Background()
	uri, db := storetest.URI(t), storetest.DBName()
	s, err := store.Open(ctx, store.Options{URI: uri, DBName: db, WriteLease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.DB.Drop(ctx); _ = s.Close(ctx) })
	if err := s.Insert(ctx, "c", bson.M{"_id": "d", "n": 0}); err != nil {
		t.Fatal(err)
	}
	// What a writer that crashed after claiming revision 0 leaves behind.
	if err := s.Insert(ctx, "write_claims", bson.M{"_id": `c "d" 0 0`, "doc": `c "d"`, "rev": int64(0), "attempt": 0,
		"expires": time.Now().Add(300 * time.Millisecond).UTC(), "at": time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	ok, err := s.Update(ctx, "c", bson.M{"_id": "d"}, bson.M{"$inc": bson.M{"n": 1}})
	if err != nil || !ok {
		t.Fatalf("update after a dead writer: %v %v", ok, err)
	}
	var doc struct {
		N int `bson:"n"`
	}
	_ = s.C("c").FindOne(ctx, bson.M{"_id": "d"}).Decode(&doc)
	if doc.N != 1 {
		t.Fatalf("n = %d", doc.N)
	}
}

// TestNoPackageWritesAroundTheStore keeps the promise of the package
// comment: every write goes through the store's one route.
func TestNoPackageWritesAroundTheStore(t *testing.T) {
	raw := regexp.MustCompile(`\.(UpdateOne|UpdateMany|ReplaceOne|FindOneAndUpdate|FindOneAndReplace|FindOneAndDelete|DeleteOne|DeleteMany|InsertOne|InsertMany|BulkWrite)\(`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if filepath.Dir(path) == "." || strings.HasSuffix(filepath.Dir(path), filepath.Join("server", "store")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if raw.MatchString(line) {
				t.Errorf("%s:%d writes around the store: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedDatabaseIsReachableOnlyByThisProcess: the embedded database
// listens on a Unix socket in a 0700 folder and on no TCP port.
func TestEmbeddedDatabaseIsReachableOnlyByThisProcess(t *testing.T) {
	ctx := context.Background()
	before := listeningTCP(t)
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Options{DataDir: dir, DBName: "gehoord"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.Insert(ctx, "c", bson.M{"_id": 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.EmbeddedURI(), ".sock") {
		t.Fatalf("embedded database address %q is not a socket", s.EmbeddedURI())
	}
	for port := range listeningTCP(t) {
		if !before[port] {
			t.Fatalf("the embedded database listens on TCP %s", port)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "db"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("database folder mode %v (%v)", fi.Mode().Perm(), err)
	}
	sock := socketFile(t, s.EmbeddedURI())
	fi, err = os.Stat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder mode %v (%v)", fi.Mode().Perm(), err)
	}
	// A second server on the same data folder is refused, not let in.
	if _, err := store.Open(ctx, store.Options{DataDir: dir, DBName: "gehoord"}); err == nil {
		t.Fatal("a second process opened the same data folder")
	}
}

// listeningTCP lists the TCP ports this process listens on, from /proc.
func listeningTCP(t *testing.T) map[string]bool {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	out := map[string]bool{}
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && fs[3] == "0A" && inodes[fs[9]] {
				out[fs[1]] = true
			}
		}
	}
	return out
}

func socketFile(t *testing.T, uri string) string {
	t.Helper()
	host := strings.TrimSuffix(strings.TrimPrefix(uri, "mongodb://"), "/")
	p, err := url.PathUnescape(host)
	if err != nil || !strings.HasPrefix(p, "/") {
		t.Fatalf("cannot read a socket path from %q", uri)
	}
	return p
}

// TestChangeDecidesOnWhatItWrites: a read-decide-write through Change sees
// the document as no one else can change it before the write, so values
// computed in Go from it (here n+1 with $set, not $inc) never lose one.
func TestChangeDecidesOnWhatItWrites(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		if err := st[0].Insert(ctx, "c", bson.M{"_id": "x", "n": int64(0)}); err != nil {
			t.Fatal(err)
		}
		const n = 16
		for _, err := range race(n, func(i int) error {
			ok, err := st[i%len(st)].Change(ctx, "c", "x", func(cur bson.Raw) (any, error) {
				v := cur.Lookup("n").AsInt64()
				return bson.M{"$set": bson.M{"n": v + 1}}, nil
			})
			if err == nil && !ok {
				err = fmt.Errorf("change %d not written", i)
			}
			return err
		}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		var doc struct {
			N int64 `bson:"n"`
		}
		if err := st[0].C("c").FindOne(ctx, bson.M{"_id": "x"}).Decode(&doc); err != nil || doc.N != n {
			t.Fatalf("n = %d (%v), want %d", doc.N, err, n)
		}
		// Deciding on nothing writes nothing.
		ok, err := st[0].Change(ctx, "c", "x", func(bson.Raw) (any, error) { return nil, nil })
		if err != nil || ok {
			t.Fatalf("a change that decided nothing: %v %v", ok, err)
		}
	})
}

// TestDuplicateAtSaysWhichDocumentClashed: an ordered InsertAll stops at
// the first duplicate; DuplicateAt names it, and the ones before it are in.
func TestDuplicateAtSaysWhichDocumentClashed(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		if err := st[0].Insert(ctx, "dups", bson.M{"_id": "b"}); err != nil {
			t.Fatal(err)
		}
		err := st[len(st)-1].InsertAll(ctx, "dups", []any{bson.M{"_id": "a"}, bson.M{"_id": "b"}, bson.M{"_id": "c"}})
		if i, dup := store.DuplicateAt(err); !dup || i != 1 {
			t.Fatalf("DuplicateAt(%v) = %d, %v; want 1, true", err, i, dup)
		}
		for id, want := range map[string]int64{"a": 1, "b": 1, "c": 0} {
			if n, _ := st[0].C("dups").CountDocuments(ctx, bson.M{"_id": id}); n != want {
				t.Errorf("%s: %d documents, want %d", id, n, want)
			}
		}
		if _, dup := store.DuplicateAt(st[0].Insert(ctx, "dups", bson.M{"_id": "d"})); dup {
			t.Error("no error is a duplicate")
		}
	})
}

// InsertMissing adds what is not there yet, says what it added, and the
// documents there already stay as they were.
func TestInsertMissingAddsWhatIsNotThere(t *testing.T) {
	forEachSetup(t, func(t *testing.T, st []*store.Store) {
		ctx := context.Background()
		for _, id := range []string{"b", "d"} {
			if err := st[0].Insert(ctx, "missing", bson.M{"_id": id, "v": "old"}); err != nil {
				t.Fatal(err)
			}
		}
		var docs []any
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			docs = append(docs, bson.M{"_id": id, "v": "new"})
		}
		made, err := st[len(st)-1].InsertMissing(ctx, "missing", docs)
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{true, false, true, false, true}; fmt.Sprint(made) != fmt.Sprint(want) {
			t.Errorf("made %v, want %v", made, want)
		}
		for id, want := range map[string]string{"a": "new", "b": "old", "c": "new", "d": "old", "e": "new"} {
			var got struct{ V string }
			if err := st[0].C("missing").FindOne(ctx, bson.M{"_id": id}).Decode(&got); err != nil || got.V != want {
				t.Errorf("%s: %q (%v), want %q", id, got.V, err, want)
			}
		}
		again, err := st[0].InsertMissing(ctx, "missing", docs)
		if err != nil || fmt.Sprint(again) != fmt.Sprint([]bool{false, false, false, false, false}) {
			t.Errorf("repeated: %v %v", again, err)
		}
	})
}
