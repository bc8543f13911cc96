package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/group"
)

// Why a copy in memory: FerretDB v1 on SQLite uses no index to read. Every
// query, even one by _id, reads and parses the collection's documents
// until it has its answer (an _id filter is pushed down as a JSON path the
// _id index does not match). With 10,000 cases and their events one read
// takes hundreds of milliseconds. So the desk's pages (inbox, similar
// cases, a case and its timeline) are served from a copy of every case and
// event as stored (personal text stays sealed), read once.
//
// Instances keep their copies in step through a journal: every write of a
// case or an event appends an entry numbered 1, 2, 3… Each number is taken
// by a unique insert of the entry itself (after a hint of where to start),
// so the journal has no gaps and a reader follows it until the next number
// is missing. Only the last journalKeep entries are kept, so reading the
// journal stays cheap; a reader that fell further behind reads everything
// again.

const (
	collectionJournal = "case_journal"
	collectionHint    = "case_journal_hint"
	journalHintID     = "end"
)

// journalKeep is how many journal entries are kept (see above); a
// variable so a test can make it small.
var journalKeep int64 = 500

// trimEvery: how often a writer trims the journal (in entries).
var trimEvery int64 = 50

// hintEvery: how often a writer raises the journal's hint (in entries);
// this process starts after its own last entry (Service.journalLast), so
// only other instances and the next start pay for a lagging hint, with at
// most this many lookups or duplicate inserts.
const hintEvery = 16

type journalEntry struct {
	ID      string    `bson:"_id"`
	CaseID  string    `bson:"case_id"`
	EventID string    `bson:"event_id,omitempty"`
	At      time.Time `bson:"at"`
}

// caseIndex is the copy. Readers that wait while it catches up share
// the next catch-up (fresh); catchUps counts them (tests see the sharing).
type caseIndex struct {
	fresh  group.Fresh
	loaded bool
	next   int64 // the journal number to read next
	rows   map[string]*Case
	about  map[string]string // case id -> keyed hash of her "about", folded
	events map[string][]Event
	readAt time.Time // when everything was last read

	catchUps atomic.Int64
}

// rereadEvery: how often the background job reads everything again, so a
// write that was not journalled (a crash between write and journal, a
// tool writing around the service) shows within this time.
const rereadEvery = time.Hour

// journal records that a case (and, when eventID is set, one of its
// events) was written, changed or removed. Every write of a case or an
// event must be followed by it, or other instances' copies (and this
// one's) keep showing what was there before. A failure is logged: other instances then see the
// change at their next full load only.
func (s *Service) journal(ctx context.Context, caseID, eventID string) {
	s.journalAll(ctx, journalRef{caseID, eventID})
}

// journalRef is what one journal entry names: a case, and maybe one of
// its events.
type journalRef struct{ caseID, eventID string }

// journalAll is journal for several writes at once, in this order: one
// insert of consecutive entries (a new case and its first events).
func (s *Service) journalAll(ctx context.Context, refs ...journalRef) {
	if len(refs) == 0 {
		return
	}
	if err := s.writeJournal(ctx, refs); err != nil {
		s.log.Error("cases: journal a change", "case", refs[0].caseID, "err", err)
	}
}

// writeJournal writes refs as consecutive entries, with the entries of
// the writes under way beside it (Service.journalQ). When each write
// numbered its own entries from after the last one, concurrent writers
// raced for the same numbers and a loser lost again to every newcomer
// (under 32 clients a new case waited up to the end of the load, 15 s).
// It waits for the insert that carries them, whatever ctx says: a change
// must be journalled once it is made.
func (s *Service) writeJournal(ctx context.Context, refs []journalRef) error {
	return s.journalQ.Write(ctx, refs...)
}

// flushJournal is what journalQ writes with: the entries of every writer
// waiting, in one insert.
func (s *Service) flushJournal(ctx context.Context, refs []journalRef) error {
	first, last, err := s.insertJournal(ctx, refs)
	if last >= first {
		s.afterJournal(ctx, first, last)
	}
	return err
}

// insertJournal numbers the entries from after this process's last entry
// (the hint the first time, and after another instance took a number):
// every number up to either is taken, so none is skipped. It returns the
// numbers it wrote, first to last (last < first: none).
func (s *Service) insertJournal(ctx context.Context, refs []journalRef) (first, last int64, err error) {
	hinted := false
	// next: the first number after the hint and this process's last.
	next := func() (int64, error) {
		var hint struct {
			N int64 `bson:"n"`
		}
		err := s.st.C(collectionHint).FindOne(ctx, bson.M{"_id": journalHintID}).Decode(&hint)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return 0, err
		}
		hinted = true
		return max(hint.N, s.journalLast.Load()) + 1, nil
	}
	n := s.journalLast.Load() + 1
	if n == 1 {
		if n, err = next(); err != nil {
			return 0, -1, err
		}
	}
	first, last = -1, -2
	for tries := 0; len(refs) > 0; tries++ {
		if tries == 100000 {
			return first, last, fmt.Errorf("cases: journal: no free number")
		}
		at := s.now().UTC()
		docs := make([]any, len(refs))
		for i, r := range refs {
			docs[i] = journalEntry{ID: strconv.FormatInt(n+int64(i), 10), CaseID: r.caseID, EventID: r.eventID, At: at}
		}
		err := s.st.InsertAll(ctx, collectionJournal, docs)
		done, dup := len(refs), false
		if err != nil {
			if done, dup = store.DuplicateAt(err); !dup {
				return first, last, err
			}
		}
		if done > 0 {
			if first < 0 {
				first = n
			}
			last = n + int64(done) - 1
			s.noteJournal(last)
		}
		refs, n = refs[done:], n+int64(done)
		if dup {
			// Number n is another writer's: another instance went ahead.
			n++
			if !hinted {
				h, err := next()
				if err != nil {
					return first, last, err
				}
				n = max(n, h)
			}
		}
	}
	return first, last, nil
}

// noteJournal remembers n as this process's last journal number.
func (s *Service) noteJournal(n int64) {
	for last := s.journalLast.Load(); last < n && !s.journalLast.CompareAndSwap(last, n); last = s.journalLast.Load() {
	}
}

// afterJournal raises the hint and trims the journal when the entries
// first to last reached a multiple of hintEvery or trimEvery.
func (s *Service) afterJournal(ctx context.Context, first, last int64) {
	reached := func(every int64) bool { return (first-1)/every != last/every }
	if reached(hintEvery) || reached(trimEvery) {
		// Only a hint: losing it costs a later writer a few duplicates.
		// Raised every hintEvery entries (a guarded update is five round
		// trips), and always before a trim: checkTrimmed relies on a hint
		// at or beyond every trimmed entry.
		_ = s.st.Upsert(ctx, collectionHint, journalHintID, bson.M{"$max": bson.M{"n": last}})
	}
	if last > journalKeep && reached(trimEvery) {
		// Every trimEvery entries, the ones before the kept ones go
		// (the journal is read only near its end). The last trim was
		// less than trimEvery entries before first.
		old := bson.A{}
		for k := max(1, first-journalKeep-trimEvery*2); k <= last-journalKeep; k++ {
			old = append(old, strconv.FormatInt(k, 10))
		}
		// Entries are only inserted, never changed: one delete command
		// does (DeleteAll would take each one's write claim, five round
		// trips per entry).
		if _, err := s.st.Purge(ctx, collectionJournal, bson.M{"_id": bson.M{"$in": old}}); err != nil {
			s.log.Warn("cases: trim the journal", "err", err)
		}
	}
}

// indexed runs f on the index, caught up with every instance's writes.
// Under load the readers waiting are served by one catch-up, not one each
// (group.Fresh).
func (s *Service) indexed(ctx context.Context, f func(ix *caseIndex)) error {
	ix := &s.index
	return ix.fresh.Do(func() error {
		if !ix.loaded {
			if err := s.loadIndex(ctx); err != nil {
				return err
			}
		}
		return s.catchUp(ctx)
	}, func() { f(ix) })
}

// CatchUp reads every case once (the first time) and then what the
// journal says changed: a background job calls it, so staff pages do not
// wait for the first reading. Every rereadEvery it reads everything again,
// outside the lock, so pages are not held up meanwhile.
func (s *Service) CatchUp(ctx context.Context) error {
	var stale bool
	s.index.fresh.Hold(func() bool {
		stale = s.index.loaded && time.Since(s.index.readAt) > rereadEvery
		return false
	})
	if stale {
		fresh, err := s.readAll(ctx)
		if err != nil {
			return err
		}
		// Read outside the lock, it may be older than what waiting
		// readers were promised: they catch up again.
		s.index.fresh.Hold(func() bool { s.swapIn(fresh); return true })
	}
	return s.indexed(ctx, func(*caseIndex) {})
}

// journalEnd finds the first journal number not yet written.
func (s *Service) journalEnd(ctx context.Context) (int64, error) {
	var hint struct {
		N int64 `bson:"n"`
	}
	err := s.st.C(collectionHint).FindOne(ctx, bson.M{"_id": journalHintID}).Decode(&hint)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, fmt.Errorf("cases: journal hint: %w", err)
	}
	n := hint.N + 1
	for {
		err := s.st.C(collectionJournal).FindOne(ctx, bson.M{"_id": strconv.FormatInt(n, 10)}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("cases: journal: %w", err)
		}
		n++
	}
}

// loadIndex reads every case and event into the copy (under its lock).
func (s *Service) loadIndex(ctx context.Context) error {
	fresh, err := s.readAll(ctx)
	if err != nil {
		return err
	}
	s.swapIn(fresh)
	return nil
}

// readAll reads every case and event into a new copy, without the lock.
// The journal's end is taken first, so whatever is written while reading
// is applied again after it.
func (s *Service) readAll(ctx context.Context) (*caseIndex, error) {
	end, err := s.journalEnd(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("cases: load index: %w", err)
	}
	var all []Case
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("cases: load index: %w", err)
	}
	ix := &caseIndex{rows: make(map[string]*Case, len(all)), about: make(map[string]string, len(all)), events: map[string][]Event{}}
	for i := range all {
		s.putRowIn(ix, &all[i])
	}
	ecur, err := s.st.C(collectionEvents).Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("cases: load index: %w", err)
	}
	var evs []Event
	if err := ecur.All(ctx, &evs); err != nil {
		return nil, fmt.Errorf("cases: load index: %w", err)
	}
	for _, e := range evs {
		ix.events[e.CaseID] = append(ix.events[e.CaseID], e)
	}
	for id := range ix.events {
		sortEvents(ix.events[id])
	}
	ix.next, ix.loaded, ix.readAt = end, true, time.Now()
	return ix, nil
}

// swapIn makes fresh the copy (the caller holds the lock).
func (s *Service) swapIn(fresh *caseIndex) {
	ix := &s.index
	ix.rows, ix.about, ix.events, ix.next, ix.loaded, ix.readAt = fresh.rows, fresh.about, fresh.events, fresh.next, true, fresh.readAt
}

// putRow keeps the copy of c as stored, and a keyed hash of what "about"
// says (folded), for similar cases.
func (s *Service) putRow(c *Case) { s.putRowIn(&s.index, c) }

func (s *Service) putRowIn(ix *caseIndex, c *Case) {
	if about := fold(s.Field(c, "about")); about != "" {
		ix.about[c.ID] = string(s.seal.MAC("about", about))
	} else {
		delete(ix.about, c.ID)
	}
	cp := *c
	ix.rows[c.ID] = &cp
}

func sortEvents(r []Event) {
	slices.SortFunc(r, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
}

// catchUp applies the journal's entries written since the last look.
func (s *Service) catchUp(ctx context.Context) error {
	ix := &s.index
	ix.catchUps.Add(1)
	for {
		var e journalEntry
		err := s.st.C(collectionJournal).FindOne(ctx, bson.M{"_id": strconv.FormatInt(ix.next, 10)}).Decode(&e)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return s.checkTrimmed(ctx)
		}
		if err != nil {
			return fmt.Errorf("cases: journal: %w", err)
		}
		var c Case
		err = s.st.C(collectionCases).FindOne(ctx, bson.M{"_id": e.CaseID}).Decode(&c)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			delete(ix.rows, e.CaseID)
			delete(ix.about, e.CaseID)
			delete(ix.events, e.CaseID)
		case err != nil:
			return fmt.Errorf("cases: journal: %w", err)
		default:
			s.putRow(&c)
		}
		if e.EventID != "" {
			// Added, changed (retention reduces a text) or removed: the
			// event as it is now replaces the copy's.
			var ev Event
			err := s.st.C(collectionEvents).FindOne(ctx, bson.M{"_id": e.EventID}).Decode(&ev)
			if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return fmt.Errorf("cases: journal: %w", err)
			}
			evs := slices.DeleteFunc(ix.events[e.CaseID], func(x Event) bool { return x.ID == e.EventID })
			if err == nil {
				evs = append(evs, ev)
				sortEvents(evs)
			}
			ix.events[e.CaseID] = evs
		}
		ix.next++
	}
}

// checkTrimmed reads everything again when the entry due next was
// trimmed from the journal already (this copy fell too far behind).
func (s *Service) checkTrimmed(ctx context.Context) error {
	ix := &s.index
	var hint struct {
		N int64 `bson:"n"`
	}
	err := s.st.C(collectionHint).FindOne(ctx, bson.M{"_id": journalHintID}).Decode(&hint)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("cases: journal hint: %w", err)
	}
	if hint.N < ix.next {
		return nil // nothing new
	}
	// The hint is raised only after its entry was written: an entry at
	// or beyond ours exists or existed, so ours was trimmed.
	s.log.Info("cases: this instance fell behind the journal; reading every case again")
	return s.loadIndex(ctx)
}

// cached returns copies of a case and its events as stored, from the
// copy in memory (nil when there is no such case).
func (s *Service) cached(ctx context.Context, id string) (*Case, []Event, error) {
	var c *Case
	var evs []Event
	err := s.indexed(ctx, func(ix *caseIndex) {
		if r, ok := ix.rows[id]; ok {
			cp := *r
			c = &cp
		}
		evs = slices.Clone(ix.events[id])
	})
	return c, evs, err
}

// View returns a case for showing it, from the copy in memory (see
// index.go): as fresh as every instance's journal. Decisions that change
// the case read it from the database (Get, Change).
func (s *Service) View(ctx context.Context, id string) (*Case, error) {
	c, _, err := s.cached(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return s.Get(ctx, id)
	}
	return c, nil
}

// MarkAcknowledged records, for cases stored before the acknowledgement's
// sending was recorded, that it went out when the case was made (it always
// did, at intake): their acknowledgement deadline no longer shows as
// overdue. Run at start; a no-op once done.
func (s *Service) MarkAcknowledged(ctx context.Context) (int, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"deadlines.ack_sent": nil},
		options.Find().SetProjection(bson.M{"_id": 1, "created_at": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: find unacknowledged: %w", err)
	}
	var list []struct {
		ID        string    `bson:"_id"`
		CreatedAt time.Time `bson:"created_at"`
	}
	if err := cur.All(ctx, &list); err != nil {
		return 0, fmt.Errorf("cases: find unacknowledged: %w", err)
	}
	n := 0
	for _, c := range list {
		ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "deadlines.ack_sent": nil},
			bson.M{"$set": bson.M{"deadlines.ack_sent": c.CreatedAt}})
		if err != nil {
			return n, fmt.Errorf("cases: mark %s acknowledged: %w", c.ID, err)
		}
		if ok {
			s.journal(ctx, c.ID, "")
			n++
		}
	}
	return n, nil
}
