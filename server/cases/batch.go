package cases

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gehoord/gehoord/server/fault"
)

// Made is what became of one report of CreateMany: its answer, or why
// it has none.
type Made struct {
	Result Result
	Err    error
}

// storeEvery is how many drafted cases are stored together. One insert of
// fifty costs about as much as four of one on the embedded database;
// larger groups only keep cases waiting longer before they are stored.
const storeEvery = 50

// CreateMany makes the cases of several reports of one channel (a
// tablet's sync) as Create makes each, and answers each in its place.
// Reports are checked, their repeats answered and their receipts hashed on
// every core; the new cases are stored in groups, so that numbering,
// receipts, cases, first events, staff notifications and journal entries
// take a command per group instead of one per case. A case its group
// cannot store as it stands (its id or receipt taken meanwhile) is made
// the one-by-one way, which settles which.
//
// Reports under the same id are answered as if in turn only when they are
// in separate calls: the caller sends a repeat after its first.
// After the desk fails (any error but the report's own fault) no report
// starts; those not started get that error, and those under way finish.
func (s *Service) CreateMany(ctx context.Context, ins []Input, ch Channel) []Made {
	out := make([]Made, len(ins))
	drafts := make([]*draft, len(ins))
	started := make([]bool, len(ins))
	var (
		next    atomic.Int64
		failMu  sync.Mutex
		failure error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		failMu.Lock()
		defer failMu.Unlock()
		if failure == nil {
			failure = err
		}
	}
	failed := func() bool {
		failMu.Lock()
		defer failMu.Unlock()
		return failure != nil
	}
	held := s.held(ctx, ins)
	ready := make(chan int, len(ins))
	// Twice the cores: while one report waits for the database another
	// hashes (the hash gate keeps hashes at one per core).
	for range min(2*runtime.NumCPU(), len(ins)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ins) || failed() || ctx.Err() != nil {
					return
				}
				started[i] = true
				d, r, err := s.admit(ctx, ins[i], ch, sourceOf(ins[i]), held == nil || held[i])
				if d != nil {
					if err = s.draftCase(ctx, d); err == nil {
						drafts[i] = d
						ready <- i
						continue
					}
				}
				out[i] = Made{Result: r, Err: err}
				if err != nil && !reportsFault(err) {
					fail(err)
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(ready)
	}()
	var group []int
	storeGroup := func() {
		s.storeDrafts(ctx, ins, drafts, group, out)
		for _, i := range group {
			if err := out[i].Err; err != nil && !reportsFault(err) {
				fail(err) // the database fails: no more hashes for nothing
			}
		}
		group = nil
	}
	for i := range ready {
		if group = append(group, i); len(group) == storeEvery {
			storeGroup()
		}
	}
	if len(group) > 0 {
		storeGroup()
	}
	for i := range ins {
		if !started[i] {
			err := failure
			if err == nil {
				err = ctx.Err()
			}
			out[i] = Made{Err: fmt.Errorf("cases: not made: %w", err)}
		}
	}
	return out
}

// held tells which reports' cases the copy in memory holds, after one
// catch-up for all: only those are looked for in the database before
// their receipt is hashed (a tablet sending again a batch whose answer it
// never got). The copy can lag a moment behind another instance or a
// crash; such a report's insert finds its case, and the one-by-one way
// answers it. nil: the copy could not be read, look for every one.
func (s *Service) held(ctx context.Context, ins []Input) []bool {
	out := make([]bool, len(ins))
	err := s.indexed(ctx, func(ix *caseIndex) {
		for i, in := range ins {
			in.Normalize()
			out[i] = in.ID != "" && ix.rows[s.caseID(in.ID)] != nil
		}
	})
	if err != nil {
		s.log.Warn("cases: the copy of the cases for a sync", "err", err)
		return nil
	}
	return out
}

// sourceOf tells who made a report's receipt: the device when it brought
// one, otherwise the desk makes it.
func sourceOf(in Input) receiptSource {
	if NormalizeReceipt(in.Receipt) != "" {
		return receiptDevice
	}
	return receiptServer
}

// reportsFault tells a report's own problem (to fix and send again, or an
// id used for another report) from the desk failing.
func reportsFault(err error) bool {
	f, ok := fault.As(err)
	return ok && (f.Code == fault.Invalid || f.Code == fault.Malformed || f.Code == fault.Conflict)
}

// storeDrafts stores the cases of the drafts at group (indexes into ins,
// drafts and out) and writes each one's outcome.
func (s *Service) storeDrafts(ctx context.Context, ins []Input, drafts []*draft, group []int, out []Made) {
	cs := make([]*Case, len(group))
	receipts := make([]any, len(group))
	docs := make([]any, len(group))
	for k, i := range group {
		cs[k] = drafts[i].c
		receipts[k], docs[k] = receiptDoc(cs[k]), cs[k]
	}
	failAll := func(err error) {
		for _, i := range group {
			out[i] = Made{Err: err}
		}
	}
	if err := s.number(ctx, cs); err != nil {
		failAll(err)
		return
	}
	// Receipts first, as for one case: a stored case always has its way
	// from the receipt. One taken already is another case's or an earlier
	// try's; the case's own unique index below tells.
	if _, err := s.st.InsertMissing(ctx, collectionReceipts, receipts); err != nil {
		failAll(fmt.Errorf("cases: insert receipts: %w", err))
		return
	}
	wrote, err := s.st.InsertMissing(ctx, collectionCases, docs)
	var stored []*draft
	var again []int
	for k, i := range group {
		switch {
		case wrote[k]:
			stored = append(stored, drafts[i])
			out[i] = Made{Result: drafts[i].result()}
		case err == nil:
			// Its id or receipt was taken meanwhile.
			again = append(again, i)
		default:
			out[i] = Made{Err: fmt.Errorf("cases: insert: %w", err)}
		}
	}
	s.made(ctx, stored)
	for _, i := range again {
		r, err := s.create(ctx, ins[i], drafts[i].ch, drafts[i].src)
		out[i] = Made{Result: r, Err: err}
	}
}
