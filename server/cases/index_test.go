package cases

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestIndexFollowsOtherInstances: two instances on one database; what one
// writes, the other's inbox, case view and timeline show at its next
// read, also after it fell behind the trimmed journal.
func TestIndexFollowsOtherInstances(t *testing.T) {
	sts, a, b := twoInstances(t)
	if err := a.EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	r := newCase(t, a, nil)
	if box, err := a.Inbox(ctx, InboxFilter{Viewer: "coord"}); err != nil || box.Total != 1 {
		t.Fatalf("a's inbox: %v %d", err, box.Total)
	}
	r2 := newCase(t, b, nil)
	if _, err := b.Assign(ctx, r.ID, "coord", "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMessage(ctx, r.ID, "h1", Outgoing{Line: "We read it."}); err != nil {
		t.Fatal(err)
	}
	box, err := a.Inbox(ctx, InboxFilter{Viewer: "h1", Assigned: AssignedMe})
	if err != nil || box.Total != 1 || box.Items[0].Case.ID != r.ID {
		t.Fatalf("a does not see b's assignment: %v %+v", err, box)
	}
	if c, err := a.View(ctx, r2.ID); err != nil || c.Reference != r2.Reference {
		t.Fatalf("a does not see b's new case: %v", err)
	}
	msgs, _ := a.Messages(ctx, r.ID)
	if len(msgs) != 2 || msgs[1].Body != "We read it." {
		t.Fatalf("a's timeline: %+v", msgs)
	}
	// b writes more than the journal keeps while a does not look.
	journalKeep, trimEvery = 3, 1
	defer func() { journalKeep, trimEvery = 500, 50 }()
	for range 5 {
		if _, err := b.AddNote(ctx, r2.ID, "h1", "note"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.SetPriority(ctx, r2.ID, "coord", 2); err != nil {
		t.Fatal(err)
	}
	end, err := a.journalEnd(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sts[0].C(collectionJournal).CountDocuments(ctx, map[string]any{}); n >= end-1-journalKeep {
		t.Errorf("the journal keeps %d of %d entries", n, end-1)
	}
	if c, err := a.View(ctx, r2.ID); err != nil || c.Priority != 2 {
		t.Fatalf("a after the journal was trimmed: %v %+v", err, c)
	}
	if evs, _ := a.Timeline(ctx, r2.ID); len(evs) != 2+5+1 {
		t.Errorf("a's timeline after trimming: %d events", len(evs))
	}
}

// TestIndexForgetsWhatRetentionErased: a name erased by retention is gone
// from the copy in memory too, and a changed event replaces the copy's.
func TestIndexForgetsWhatRetentionErased(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if c, err := svc.View(ctx, r.ID); err != nil || svc.Field(c, "name") != "Anna" {
		t.Fatalf("before: %v", err)
	}
	if _, err := st.C(collectionCases).UpdateOne(ctx, map[string]any{"_id": r.ID},
		map[string]any{"$set": map[string]any{"state": StateClosed, "closed_at": time.Now().Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	journalled(t, st, r.ID)
	if n, err := svc.EraseIdentities(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("erased %d: %v", n, err)
	}
	c, err := svc.View(ctx, r.ID)
	if err != nil || !c.Erased || svc.Field(c, "name") != "" {
		t.Errorf("the copy still has her name: %v %+v", err, c.Erased)
	}
	// An event changed around the service, then journalled.
	evs, _ := svc.Timeline(ctx, r.ID)
	if _, err := st.C(collectionEvents).UpdateOne(ctx, map[string]any{"_id": evs[0].ID},
		map[string]any{"$set": map[string]any{"type": "reduced"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.writeJournal(ctx, []journalRef{{r.ID, evs[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if evs, _ = svc.Timeline(ctx, r.ID); evs[0].Type != "reduced" {
		t.Errorf("the copy keeps the old event: %s", evs[0].Type)
	}
}

// TestIndexRereadHealsUnjournalledWrites: a write that never reached the
// journal shows after the background job's periodic reading.
func TestIndexRereadHealsUnjournalledWrites(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.C(collectionCases).UpdateOne(ctx, map[string]any{"_id": r.ID},
		map[string]any{"$set": map[string]any{"priority": 2}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.View(ctx, r.ID); c.Priority != 0 {
		t.Fatal("the copy changed without the journal: this test proves nothing")
	}
	svc.index.fresh.Hold(func() bool {
		svc.index.readAt = time.Now().Add(-rereadEvery - time.Minute)
		return false
	})
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.View(ctx, r.ID); c.Priority != 2 {
		t.Errorf("after the reading: priority %d", c.Priority)
	}
}

// TestConcurrentJournalWritesTakeTurns: this process's journal writes go
// one insert at a time, carrying what waits, so they never race one
// another for numbers (a writer that lost started again where every
// newcomer started too, and under 32 clients a new case waited until the
// load ended). Two instances writing at once still leave every entry
// exactly once, numbered 1..N without a gap.
func TestConcurrentJournalWritesTakeTurns(t *testing.T) {
	journalKeep, trimEvery = 1_000_000, 1_000_000 // nothing trimmed: every entry stays to count
	defer func() { journalKeep, trimEvery = 500, 50 }()
	sts, a, b := twoInstances(t)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	write := func(s *Service, who string) {
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					id := fmt.Sprintf("%s-%d-%d", who, w, i)
					s.journalAll(t.Context(), journalRef{id, ""}, journalRef{id, "e1"}, journalRef{id, "e2"})
				}
			})
		}
	}
	before := sts[0].Duplicates()
	write(a, "a")
	wg.Wait()
	if d := sts[0].Duplicates() - before; d != 0 {
		t.Errorf("one instance alone: %d journal inserts refused, want 0 (its writers raced)", d)
	}
	write(a, "a2")
	write(b, "b")
	wg.Wait()

	var entries []journalEntry
	cur, err := sts[0].C(collectionJournal).Find(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(t.Context(), &entries); err != nil {
		t.Fatal(err)
	}
	want := 3 * writers * each * 3
	byNumber := map[string]bool{}
	refs := map[journalRef]int{}
	for _, e := range entries {
		byNumber[e.ID] = true
		refs[journalRef{e.CaseID, e.EventID}]++
	}
	if len(entries) != want || len(refs) != want {
		t.Fatalf("%d entries for %d different writes, want %d of each", len(entries), len(refs), want)
	}
	for n := 1; n <= want; n++ {
		if !byNumber[strconv.Itoa(n)] {
			t.Errorf("no entry numbered %d", n)
		}
	}
}

// TestConcurrentReadersShareCatchUps: readers that wait while the copy
// catches up are served by the next catch-up that began after they asked,
// one for all of them (each caught up on its own, 2 reads each, and they
// took turns under the copy's lock), and a reader that asks after another
// instance's write always sees it, however many catch-ups are under way.
func TestConcurrentReadersShareCatchUps(t *testing.T) {
	_, a, b := twoInstances(t)
	ctx := t.Context()
	r := newCase(t, b, nil)
	if _, err := a.Timeline(ctx, r.ID); err != nil {
		t.Fatal(err)
	}

	const readers = 32
	before := a.index.catchUps.Load()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			<-start
			if evs, err := a.Timeline(ctx, r.ID); err != nil || len(evs) != 2 {
				errs <- fmt.Errorf("timeline: %v, %d events", err, len(evs))
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := a.index.catchUps.Load() - before; n > readers/4 {
		t.Errorf("%d readers at once caught up %d times, want them to share", readers, n)
	}

	// Readers keep a's copy catching up while b writes; after each write,
	// a read on a shows it.
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = a.Timeline(ctx, r.ID)
			}
		})
	}
	for i := range 20 {
		line := fmt.Sprintf("note %d", i)
		if _, err := b.AddNote(ctx, r.ID, "h1", line); err != nil {
			t.Fatal(err)
		}
		evs, err := a.Timeline(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(evs); got != 2+i+1 {
			t.Fatalf("after b's note %d, a's timeline has %d events, want %d", i, got, 2+i+1)
		}
	}
	close(stop)
	wg.Wait()
}

// twoInstances: two services on one database, as two instances of the desk.
func twoInstances(t *testing.T) ([]*store.Store, *Service, *Service) {
	t.Helper()
	sts := storetest.Instances(t, 2)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return sts, NewService(Config{Store: sts[0], Sealer: sl, Texts: i18n.Default()}),
		NewService(Config{Store: sts[1], Sealer: sl, Texts: i18n.Default()})
}
