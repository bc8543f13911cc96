package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

// Why an index in memory: FerretDB v1 on SQLite pushes down nothing but a
// single _id equality; every other query reads and decodes the whole
// collection (seconds with 10,000 cases and their events). So the desk's
// lists (inbox, similar cases, a case's timeline) are served from a light
// copy of every case (no sealed text) and the ids of each case's events,
// and documents are read by _id only.
//
// Instances keep their copies in step through a journal: every write of a
// case or an event appends an entry numbered 1, 2, 3… Each number is taken
// by a unique insert of the entry itself (after a hint of where to start),
// so the journal has no gaps and a reader follows it by _id lookups until
// the next number is missing.

const (
	collectionJournal = "case_journal"
	collectionHint    = "case_journal_hint"
	journalHintID     = "end"
)

type journalEntry struct {
	ID      string    `bson:"_id"`
	CaseID  string    `bson:"case_id"`
	EventID string    `bson:"event_id,omitempty"`
	At      time.Time `bson:"at"`
}

type eventRef struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// caseIndex is the light copy. Its lock is held while it catches up.
type caseIndex struct {
	mu     sync.Mutex
	loaded bool
	next   int64 // the journal number to read next
	rows   map[string]*Case
	about  map[string]string // case id -> keyed hash of her "about", folded
	events map[string][]eventRef
}

// journal records that a case (and, when eventID is set, one of its
// events) was written. A failure is logged: other instances then see the
// change at their next full load only.
func (s *Service) journal(ctx context.Context, caseID, eventID string) {
	if err := s.writeJournal(ctx, caseID, eventID); err != nil {
		s.log.Error("cases: journal a change", "case", caseID, "err", err)
	}
}

func (s *Service) writeJournal(ctx context.Context, caseID, eventID string) error {
	var hint struct {
		N int64 `bson:"n"`
	}
	err := s.st.C(collectionHint).FindOne(ctx, bson.M{"_id": journalHintID}).Decode(&hint)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return err
	}
	for n := hint.N + 1; n < hint.N+100000; n++ {
		err := s.st.Insert(ctx, collectionJournal, journalEntry{ID: strconv.FormatInt(n, 10), CaseID: caseID, EventID: eventID, At: s.now().UTC()})
		if store.IsDuplicate(err) {
			continue
		}
		if err != nil {
			return err
		}
		// Only a hint: losing it costs a later writer a few duplicates.
		_ = s.st.Upsert(ctx, collectionHint, journalHintID, bson.M{"$max": bson.M{"n": n}})
		return nil
	}
	return fmt.Errorf("cases: journal: no free number")
}

// indexed runs f on the index, caught up with every instance's writes.
func (s *Service) indexed(ctx context.Context, f func(ix *caseIndex)) error {
	ix := &s.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.loaded {
		if err := s.loadIndex(ctx); err != nil {
			return err
		}
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	f(ix)
	return nil
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

// loadIndex reads every case and event once. The journal's end is taken
// first, so whatever is written while loading is applied again after it.
func (s *Service) loadIndex(ctx context.Context) error {
	ix := &s.index
	end, err := s.journalEnd(ctx)
	if err != nil {
		return err
	}
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"description": 0, "name": 0, "contact": 0, "fingerprint": 0, "receipt_hash": 0}))
	if err != nil {
		return fmt.Errorf("cases: load index: %w", err)
	}
	var all []Case
	if err := cur.All(ctx, &all); err != nil {
		return fmt.Errorf("cases: load index: %w", err)
	}
	ix.rows = make(map[string]*Case, len(all))
	ix.about = make(map[string]string, len(all))
	for i := range all {
		s.putRow(&all[i])
	}
	ecur, err := s.st.C(collectionEvents).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"case_id": 1, "at": 1}))
	if err != nil {
		return fmt.Errorf("cases: load index: %w", err)
	}
	var evs []struct {
		ID     string    `bson:"_id"`
		CaseID string    `bson:"case_id"`
		At     time.Time `bson:"at"`
	}
	if err := ecur.All(ctx, &evs); err != nil {
		return fmt.Errorf("cases: load index: %w", err)
	}
	ix.events = map[string][]eventRef{}
	for _, e := range evs {
		ix.events[e.CaseID] = append(ix.events[e.CaseID], eventRef{ID: e.ID, At: e.At})
	}
	for id := range ix.events {
		sortRefs(ix.events[id])
	}
	ix.next, ix.loaded = end, true
	return nil
}

// putRow keeps the light copy of c: no sealed text, only a keyed hash of
// what "about" says, for similar cases.
func (s *Service) putRow(c *Case) {
	ix := &s.index
	if about := fold(s.Field(c, "about")); about != "" {
		ix.about[c.ID] = string(s.seal.MAC("about", about))
	} else {
		delete(ix.about, c.ID)
	}
	light := *c
	light.Description, light.About, light.Name, light.Contact, light.Fingerprint, light.ReceiptHash = nil, nil, nil, nil, nil, nil
	ix.rows[c.ID] = &light
}

func sortRefs(r []eventRef) {
	slices.SortFunc(r, func(a, b eventRef) int {
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
	for {
		var e journalEntry
		err := s.st.C(collectionJournal).FindOne(ctx, bson.M{"_id": strconv.FormatInt(ix.next, 10)}).Decode(&e)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil
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
			var ev eventRef
			err := s.st.C(collectionEvents).FindOne(ctx, bson.M{"_id": e.EventID}).Decode(&ev)
			if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return fmt.Errorf("cases: journal: %w", err)
			}
			refs := ix.events[e.CaseID]
			if err == nil && !slices.ContainsFunc(refs, func(r eventRef) bool { return r.ID == ev.ID }) {
				refs = append(refs, ev)
				sortRefs(refs)
				ix.events[e.CaseID] = refs
			}
		}
		ix.next++
	}
}

// eventIDs returns the ids of a case's events in timeline order.
func (s *Service) eventIDs(ctx context.Context, caseID string) ([]string, error) {
	var ids []string
	err := s.indexed(ctx, func(ix *caseIndex) {
		for _, r := range ix.events[caseID] {
			ids = append(ids, r.ID)
		}
	})
	return ids, err
}
