package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RevField is the revision every written document carries. It starts at 0
// (a missing field counts as 0) and goes up by one with every update.
const RevField = "_rev"

// claimsColl holds one document per (document, revision) being written; see
// the package comment.
const claimsColl = "write_claims"

// ErrBusy is returned when a document stayed claimed by another writer
// longer than the caller was willing to wait.
var ErrBusy = errors.New("store: the document is being changed by someone else; try again")

// DefaultLease is how long a writer may hold a document's claim. A write
// takes milliseconds; the lease only matters when a writer died holding
// one, and then the next writer waits this long before taking over.
const DefaultLease = 15 * time.Second

// writeClaim is one writer's right to move a document from revision Rev to
// Rev+1. Its _id is unique per (collection, document, revision, attempt),
// so only one writer holds it; a later attempt is made only after the
// previous one's lease ran out.
type writeClaim struct {
	ID      string    `bson:"_id"`
	Doc     string    `bson:"doc"`
	Rev     int64     `bson:"rev"`
	Attempt int       `bson:"attempt"`
	Expires time.Time `bson:"expires"`
	At      time.Time `bson:"at"`
}

type head struct {
	ID  any   `bson:"_id"`
	Rev int64 `bson:"_rev"`
}

// docLocks serialises writers of one document inside this process, so
// they queue on a mutex instead of polling each other's claims.
type docLocks struct {
	mu sync.Mutex
	m  map[string]*docLock
}

type docLock struct {
	mu   sync.Mutex
	refs int
}

// lock also says whether another writer of key held or awaited the lock
// when this one came: then what was read before may be out of date.
func (l *docLocks) lock(key string) (func(), bool) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*docLock{}
	}
	e := l.m[key]
	if e == nil {
		e = &docLock{}
		l.m[key] = e
	}
	waited := e.refs > 0
	e.refs++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}, waited
}

func docKey(coll string, id any) string {
	switch v := id.(type) {
	case string:
		return fmt.Sprintf("%s %q", coll, v)
	case bson.ObjectID:
		return fmt.Sprintf("%s o%s", coll, v.Hex())
	default:
		return fmt.Sprintf("%s %T%v", coll, v, v)
	}
}

// revCond matches a document still at revision rev. Documents written
// before revisions existed have no field, which counts as 0.
func revCond(rev int64) bson.D {
	if rev == 0 {
		return bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: RevField, Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: RevField, Value: int64(0)}},
		}}}
	}
	return bson.D{{Key: RevField, Value: rev}}
}

// guarded is the filter that makes a write land only on document id, only
// at revision rev, and only while the caller's condition still holds.
func guarded(id any, rev int64, filter any) bson.D {
	and := bson.A{revCond(rev)}
	if !isEmpty(filter) {
		and = append(and, filter)
	}
	return bson.D{{Key: "_id", Value: id}, {Key: "$and", Value: and}}
}

func isEmpty(filter any) bool {
	switch f := filter.(type) {
	case nil:
		return true
	case bson.D:
		return len(f) == 0
	case bson.M:
		return len(f) == 0
	}
	return false
}

// withRevInc adds {$inc: {_rev: 1}} to an update document.
func withRevInc(update any) (bson.D, error) {
	raw, err := bson.Marshal(update)
	if err != nil {
		return nil, fmt.Errorf("store: encode update: %w", err)
	}
	var d bson.D
	if err := bson.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("store: decode update: %w", err)
	}
	for i, e := range d {
		if e.Key != "$inc" {
			continue
		}
		inc, ok := e.Value.(bson.D)
		if !ok {
			return nil, fmt.Errorf("store: $inc must be a document")
		}
		d[i].Value = append(inc, bson.E{Key: RevField, Value: int64(1)})
		return d, nil
	}
	if len(d) == 0 || len(d[0].Key) == 0 || d[0].Key[0] != '$' {
		return nil, fmt.Errorf("store: an update needs operators ($set, $inc…)")
	}
	return append(d, bson.E{Key: "$inc", Value: bson.D{{Key: RevField, Value: int64(1)}}}), nil
}

// Update applies update to one document that matches filter and reports
// whether one did. The filter is checked again at the moment of writing:
// when it no longer holds (someone else changed the document first) the
// update is not applied and Update returns false.
func (s *Store) Update(ctx context.Context, coll string, filter, update any) (bool, error) {
	upd, err := withRevInc(update)
	if err != nil {
		return false, err
	}
	return s.writeOne(ctx, coll, filter, s.updateWith(coll, upd))
}

// updateWith is the write of Update and UpdateAll: the driver's update
// with the guarded filter writeOne hands it.
func (s *Store) updateWith(coll string, upd bson.D) func(context.Context, bson.D) (bool, error) {
	return func(ctx context.Context, cond bson.D) (bool, error) {
		res, err := s.C(coll).UpdateOne(ctx, cond, upd)
		if err != nil {
			return false, err
		}
		return res.MatchedCount > 0, nil
	}
}

// UpdateAll applies update to every document that matches filter, each
// one as Update does, and returns how many were changed.
func (s *Store) UpdateAll(ctx context.Context, coll string, filter, update any) (int, error) {
	upd, err := withRevInc(update)
	if err != nil {
		return 0, err
	}
	return s.eachMatching(ctx, coll, filter, func(ctx context.Context, id any) (bool, error) {
		return s.writeOne(ctx, coll, byIDAnd(id, filter), s.updateWith(coll, upd))
	})
}

// Change reads the document with this _id while holding its claim, asks
// decide for the update to apply to it (nil: leave it as it is), and
// writes that update before anyone else can write the document: a
// read-decide-write that never loses to a concurrent writer and so never
// needs retrying. It reports whether an update was written.
func (s *Store) Change(ctx context.Context, coll string, id any, decide func(current bson.Raw) (update any, err error)) (bool, error) {
	var derr error
	ok, err := s.writeOne(ctx, coll, bson.D{{Key: "_id", Value: id}}, func(ctx context.Context, cond bson.D) (bool, error) {
		var cur bson.Raw
		if err := s.C(coll).FindOne(ctx, cond).Decode(&cur); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return false, nil // the revision moved: writeOne starts again
			}
			return false, err
		}
		update, err := decide(cur)
		if err != nil || update == nil {
			derr = err
			return false, nil
		}
		upd, err := withRevInc(update)
		if err != nil {
			return false, err
		}
		return s.updateWith(coll, upd)(ctx, cond)
	})
	if derr != nil {
		return false, derr
	}
	return ok, err
}

// Upsert applies update to the document with this _id, creating it first
// (as {_id, _rev: 0}) when it does not exist. Creation is a unique insert,
// so concurrent upserts make one document and every update lands on it.
func (s *Store) Upsert(ctx context.Context, coll string, id, update any) error {
	for range 100 {
		ok, err := s.Update(ctx, coll, bson.D{{Key: "_id", Value: id}}, update)
		if err != nil || ok {
			return err
		}
		if _, err := s.C(coll).InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: RevField, Value: int64(0)}}); err != nil && !IsDuplicate(err) {
			return fmt.Errorf("store: create %s document: %w", coll, err)
		}
	}
	return fmt.Errorf("store: upsert in %s did not settle", coll)
}

// Delete removes one document that matches filter, with the filter checked
// at the moment of deleting, and reports whether one was removed.
func (s *Store) Delete(ctx context.Context, coll string, filter any) (bool, error) {
	return s.writeOne(ctx, coll, filter, func(ctx context.Context, cond bson.D) (bool, error) {
		res, err := s.C(coll).DeleteOne(ctx, cond)
		if err != nil {
			return false, err
		}
		return res.DeletedCount > 0, nil
	})
}

// DeleteAll removes every document that matches filter, each as Delete
// does, and returns how many were removed.
func (s *Store) DeleteAll(ctx context.Context, coll string, filter any) (int, error) {
	return s.eachMatching(ctx, coll, filter, func(ctx context.Context, id any) (bool, error) {
		return s.Delete(ctx, coll, byIDAnd(id, filter))
	})
}

// Purge removes every document that matches filter in one command. Only
// for collections whose documents are never updated (rate-limit hits,
// claims, expired jobs): there is nothing a concurrent writer could lose.
func (s *Store) Purge(ctx context.Context, coll string, filter any) (int64, error) {
	if err := s.faulty(); err != nil {
		return 0, classify(err)
	}
	res, err := s.C(coll).DeleteMany(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("store: purge %s: %w", coll, classify(err))
	}
	return res.DeletedCount, nil
}

// Insert adds one document. An insert is atomic on both databases: with a
// unique key it is how claims and idempotency are made.
func (s *Store) Insert(ctx context.Context, coll string, doc any) error {
	if err := s.faulty(); err != nil {
		return classify(err)
	}
	_, err := s.C(coll).InsertOne(ctx, doc)
	s.countDuplicate(err)
	return classify(err)
}

// InsertAll adds documents in order and stops at the first failure (the
// driver's error tells which, for example a duplicate key).
func (s *Store) InsertAll(ctx context.Context, coll string, docs []any) error {
	if err := s.faulty(); err != nil {
		return classify(err)
	}
	_, err := s.C(coll).InsertMany(ctx, docs)
	s.countDuplicate(err)
	return classify(err)
}

// InsertMissing adds the documents that are not there yet, in order, in
// as few inserts as it can (one when none is there: on the embedded
// database one transaction). made tells, per document, whether this call
// inserted it; a failure other than a duplicate stops it, with made
// telling what went in before.
func (s *Store) InsertMissing(ctx context.Context, coll string, docs []any) (made []bool, err error) {
	made = make([]bool, len(docs))
	for at := 0; at < len(docs); {
		err := s.InsertAll(ctx, coll, docs[at:])
		done, dup := len(docs)-at, false
		if err != nil {
			if done, dup = DuplicateAt(err); !dup {
				for i := at; i < at+done; i++ {
					made[i] = true
				}
				return made, err
			}
		}
		for i := at; i < at+done; i++ {
			made[i] = true
		}
		at += done
		if dup {
			at++ // there already
		}
	}
	return made, nil
}

// countDuplicate counts an insert refused for a unique key.
func (s *Store) countDuplicate(err error) {
	if err != nil && IsDuplicate(err) {
		s.duplicates.Add(1)
	}
}

// Duplicates is how many inserts this store had refused for a unique key
// since it opened. Claims and numbers are taken by such inserts, so a few
// are normal (a repeated request, another instance ahead); many a second
// mean writers race for the same keys.
func (s *Store) Duplicates() uint64 { return s.duplicates.Load() }

// DuplicateAt tells, for an error of InsertAll, whether a document was
// refused as a duplicate and which: the ones before it were inserted, the
// ones after it were not tried.
func DuplicateAt(err error) (int, bool) {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 {
		return 0, false
	}
	first := bwe.WriteErrors[0]
	for _, we := range bwe.WriteErrors[1:] {
		if we.Index < first.Index {
			first = we
		}
	}
	return first.Index, IsDuplicate(first.WriteError)
}

func byIDAnd(id, filter any) bson.D {
	if isEmpty(filter) {
		return bson.D{{Key: "_id", Value: id}}
	}
	return bson.D{{Key: "_id", Value: id}, {Key: "$and", Value: bson.A{filter}}}
}

func (s *Store) eachMatching(ctx context.Context, coll string, filter any, do func(context.Context, any) (bool, error)) (int, error) {
	if filter == nil {
		filter = bson.D{}
	}
	cur, err := s.C(coll).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("store: find in %s: %w", coll, err)
	}
	var heads []head
	if err := cur.All(ctx, &heads); err != nil {
		return 0, fmt.Errorf("store: read %s: %w", coll, err)
	}
	n := 0
	for _, h := range heads {
		ok, err := do(ctx, h.ID)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// writeOne is the one route of every update and delete: find the document,
// take the claim on its current revision (in this process a mutex first,
// across processes a unique insert), then write with a filter that also
// requires that revision and the caller's condition.
//
// The embedded database answers a filter of _id alone from its index and
// reads (and decodes) every document of the collection for any other
// filter, the guarded one included. So when the caller's filter is the
// _id alone, the revision is checked by reading it by _id once the claim
// is held, and the write names the _id only: while the claim on that
// revision is held no other writer can move it (each writes only under a
// claim of the revision it found), so this is the guarded write without
// a pass over the whole collection.
func (s *Store) writeOne(ctx context.Context, coll string, filter any, write func(context.Context, bson.D) (bool, error)) (bool, error) {
	if err := s.faulty(); err != nil {
		return false, classify(err)
	}
	ok, err := s.writeClaimed(ctx, coll, filter, write)
	return ok, classify(err)
}

func (s *Store) writeClaimed(ctx context.Context, coll string, filter any, write func(context.Context, bson.D) (bool, error)) (bool, error) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	if filter == nil {
		filter = bson.D{}
	}
	byID := idOnly(filter)
	var h head
	err := s.C(coll).FindOne(ctx, filter, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: RevField, Value: 1}})).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: find in %s: %w", coll, err)
	}
	key := docKey(coll, h.ID)
	unlock, waited := s.locks.lock(key)
	defer unlock()

	readRev := func() (int64, bool, error) {
		var cur head
		err := s.C(coll).FindOne(ctx, bson.D{{Key: "_id", Value: h.ID}},
			options.FindOne().SetProjection(bson.D{{Key: RevField, Value: 1}})).Decode(&cur)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return 0, false, nil // deleted meanwhile
		}
		if err != nil {
			return 0, false, fmt.Errorf("store: read %s revision: %w", coll, err)
		}
		return cur.Rev, true, nil
	}
	// The revision found with the document is current unless another
	// writer in this process went first (or a loop below starts again).
	rev, fresh := h.Rev, !waited
	deadline := time.Now().Add(2 * s.lease)
	for wait := time.Millisecond; ; {
		if !fresh {
			r, ok, err := readRev()
			if err != nil || !ok {
				return false, err
			}
			rev = r
		}
		fresh = false
		claim, err := s.claim(ctx, key, rev)
		if errors.Is(err, errHeld) {
			if time.Now().After(deadline) {
				return false, ErrBusy
			}
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(wait + rand.N(wait)):
			}
			wait = min(wait*2, 50*time.Millisecond)
			continue
		}
		if err != nil {
			return false, err
		}
		cond := guarded(h.ID, rev, filter)
		if byID {
			// Claimed: is the document still at that revision?
			r, ok, err := readRev()
			if err != nil || !ok {
				s.release(claim)
				return false, err
			}
			if r != rev {
				s.release(claim) // moved before the claim was taken
				continue
			}
			cond = bson.D{{Key: "_id", Value: h.ID}}
		}
		if time.Now().After(claim.Expires) {
			s.release(claim) // took too long to get here: another writer may take over
			continue
		}
		ok, werr := write(ctx, cond)
		if werr != nil {
			s.release(claim)
			return false, fmt.Errorf("store: write %s: %w", coll, werr)
		}
		// Given back either way: once written, the revision has moved on
		// and a writer that still claims the old one fails its guarded
		// write and starts again. (Also: no claim outlives its write, so
		// none says when a document was changed.)
		s.release(claim)
		if ok {
			return true, nil
		}
		if byID {
			// At the claimed revision and matching its _id: only Change's
			// decide says no, and that is a real "no".
			return false, nil
		}
		// Not written: either the caller's condition does not hold at this
		// revision (a real "no"), or the revision moved under us because a
		// lease ran out (then try again from the new revision).
		now, ok, err := readRev()
		if err != nil || !ok {
			return false, err
		}
		if now == rev {
			return false, nil
		}
	}
}

// idOnly says whether filter names a document by its _id and nothing else,
// the one filter the embedded database answers without a full pass.
func idOnly(filter any) bool {
	var v any
	switch f := filter.(type) {
	case bson.D:
		if len(f) != 1 || f[0].Key != "_id" {
			return false
		}
		v = f[0].Value
	case bson.M:
		if len(f) != 1 {
			return false
		}
		var ok bool
		if v, ok = f["_id"]; !ok {
			return false
		}
	default:
		return false
	}
	switch v.(type) {
	case string, bson.ObjectID:
		return true
	}
	return false
}

var errHeld = errors.New("store: claim held")

// claim takes the right to write revision rev of a document. It fails with
// errHeld while another writer holds an unexpired claim on that revision;
// after the lease ran out the next attempt number is free to take. The
// first attempt is simply inserted: it is nearly always free, and its
// unique _id decides when it is not.
func (s *Store) claim(ctx context.Context, key string, rev int64) (*writeClaim, error) {
	if c, err := s.insertClaim(ctx, key, rev, 0); !errors.Is(err, errHeld) {
		return c, err
	}
	var last writeClaim
	err := s.C(claimsColl).FindOne(ctx, bson.D{{Key: "doc", Value: key}, {Key: "rev", Value: rev}},
		options.FindOne().SetSort(bson.D{{Key: "attempt", Value: -1}})).Decode(&last)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		// Given back since: attempt 0 is free again.
		return s.insertClaim(ctx, key, rev, 0)
	case err != nil:
		return nil, fmt.Errorf("store: read write claim: %w", err)
	case time.Now().Before(last.Expires):
		return nil, errHeld
	}
	return s.insertClaim(ctx, key, rev, last.Attempt+1)
}

func (s *Store) insertClaim(ctx context.Context, key string, rev int64, attempt int) (*writeClaim, error) {
	now := time.Now().UTC()
	c := &writeClaim{
		ID: fmt.Sprintf("%s %d %d", key, rev, attempt), Doc: key, Rev: rev, Attempt: attempt,
		Expires: now.Add(s.lease), At: now,
	}
	if _, err := s.C(claimsColl).InsertOne(ctx, c); err != nil {
		if IsDuplicate(err) {
			return nil, errHeld
		}
		return nil, fmt.Errorf("store: take write claim: %w", err)
	}
	return c, nil
}

// release gives a claim back when nothing was written, so the next writer
// of that revision need not wait for the lease.
func (s *Store) release(c *writeClaim) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.C(claimsColl).DeleteOne(ctx, bson.D{{Key: "_id", Value: c.ID}}); err != nil {
		s.log.Warn("store: release write claim", "err", err)
	}
}

// SweepClaims removes claims older than an hour, left by writers that died
// holding them (every other claim is given back after its write).
// It also indexes tables made since start-up by _id (indexByID).
func (s *Store) SweepClaims(ctx context.Context) error {
	_, err := s.Purge(ctx, claimsColl, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-time.Hour).UTC()}}}})
	if err != nil {
		return err
	}
	return s.indexByID(ctx)
}

func claimIndexes() []Index {
	return []Index{{Collection: claimsColl, Keys: bson.D{{Key: "doc", Value: 1}, {Key: "rev", Value: 1}}, Name: "doc_rev"}}
}
