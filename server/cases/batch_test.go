package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/fault"
)

// batchNotes records the new cases staff were told of, and how often
// they were told (several at once counts once).
type batchNotes struct {
	mu    sync.Mutex
	ids   []string
	calls int
}

func (n *batchNotes) CaseCreated(ctx context.Context, id string) error {
	return n.CasesCreated(ctx, []string{id})
}

func (n *batchNotes) CasesCreated(_ context.Context, ids []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ids = append(n.ids, ids...)
	n.calls++
	return nil
}

func (n *batchNotes) ReplyReceived(context.Context, string, string) error { return nil }
func (n *batchNotes) ReopenRequested(context.Context, string) error       { return nil }

// A tablet's sync of many reports: every report gets the answer Create
// would give it, in its place (new cases, a repeat, a conflicting repeat,
// an invalid report, a device receipt that opens another case), and the
// new cases are stored in groups: a few inserts for a whole group where
// one by one each case took six (its number, receipt, case, first events,
// staff notification and journal entry).
func TestCreateManyAnswersEachAndStoresInGroups(t *testing.T) {
	notes := &batchNotes{}
	svc, st := newTestServiceNotifying(t, notes)
	ctx := t.Context()
	ids := map[string]string{} // a name in this test → its report's id
	report := func(name string) Input {
		if ids[name] == "" {
			ids[name] = uuid.NewString()
		}
		id := ids[name]
		return Input{ID: id, Kind: "complaint", Category: "business.bank", Description: "The bank closed my account (" + name + ").",
			About: "Bank X", Municipality: "Amsterdam", Wish: "handle", Language: "en", Identity: Identity{Mode: "anonymous"}}
	}
	// Stored before the sync: a report sent again, and a case whose
	// receipt another report of the sync brings as its own.
	before, err := svc.Create(ctx, report("sent-before"), ChannelOutreach)
	if err != nil {
		t.Fatal(err)
	}
	taken, err := NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	holder := report("holder")
	holder.Receipt = taken
	held, err := svc.Create(ctx, holder, ChannelOutreach)
	if err != nil {
		t.Fatal(err)
	}

	const fresh = 110 // more than two groups
	var ins []Input
	for i := range fresh {
		ins = append(ins, report(fmt.Sprintf("new-%03d", i)))
	}
	repeat := len(ins)
	ins = append(ins, report("sent-before"))
	conflict := len(ins)
	other := report("sent-before-too")
	ins = append(ins, other)
	invalid := len(ins)
	bad := report("no-category")
	bad.Category = ""
	ins = append(ins, bad)
	clash := len(ins)
	clashing := report("clash")
	clashing.Receipt = taken
	ins = append(ins, clashing)
	// A report stored a moment ago that the copy in memory does not hold
	// yet (another instance's, or a crash before its journal entry): its
	// repeat is not looked for before the hash, and still answered as the
	// case stored.
	lagging, err := svc.Create(ctx, report("not-in-the-copy"), ChannelOutreach)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.indexed(ctx, func(*caseIndex) {}); err != nil {
		t.Fatal(err)
	}
	svc.index.fresh.Hold(func() bool {
		delete(svc.index.rows, lagging.ID)
		return false
	})
	lag := len(ins)
	ins = append(ins, report("not-in-the-copy"))
	// The conflicting repeat: its id was stored with other words.
	if _, err := svc.Create(ctx, report("sent-before-too"), ChannelOutreach); err != nil {
		t.Fatal(err)
	}
	ins[conflict].Description = "Other words under the same id."

	notes.mu.Lock()
	notes.ids, notes.calls = nil, 0
	notes.mu.Unlock()
	inserts := st.Commands()["insert"]
	out := svc.CreateMany(ctx, ins, ChannelOutreach)
	inserts = st.Commands()["insert"] - inserts

	if len(out) != len(ins) {
		t.Fatalf("%d answers for %d reports", len(out), len(ins))
	}
	refs := map[string]bool{}
	var made []string
	for i := range fresh {
		m := out[i]
		if m.Err != nil || m.Result.Duplicate || m.Result.Reference == "" || !ValidReceipt(m.Result.Receipt) {
			t.Fatalf("report %d: %+v", i, m)
		}
		if refs[m.Result.Reference] {
			t.Errorf("reference %s given twice", m.Result.Reference)
		}
		refs[m.Result.Reference] = true
		made = append(made, m.Result.ID)
		if m.Result.ID != svc.caseID(ins[i].ID) {
			t.Errorf("report %d: case id %s is not its client id's", i, m.Result.ID)
		}
	}
	if m := out[repeat]; m.Err != nil || !m.Result.Duplicate || m.Result.ID != before.ID || m.Result.Reference != before.Reference {
		t.Errorf("the repeat: %+v, want the case stored before (%s)", m, before.Reference)
	}
	if m := out[lag]; m.Err != nil || !m.Result.Duplicate || m.Result.ID != lagging.ID || m.Result.Reference != lagging.Reference {
		t.Errorf("the repeat the copy lacks: %+v, want the case stored before (%s)", m, lagging.Reference)
	}
	if m := out[conflict]; !errors.Is(m.Err, ErrConflict) {
		t.Errorf("the conflicting repeat: %+v, want ErrConflict", m)
	}
	if f, ok := fault.As(out[invalid].Err); !ok || f.Code != fault.Invalid {
		t.Errorf("the invalid report: %+v, want an Invalid fault", out[invalid])
	}
	m := out[clash]
	if m.Err != nil || m.Result.Reference == "" || m.Result.Receipt != taken {
		t.Fatalf("the clashing receipt: %+v; want a case, with the device's receipt echoed", m)
	}
	made = append(made, m.Result.ID)
	// Her receipt still opens her case, not the clashing one; the desk is
	// told the clashing case got another receipt.
	if c, err := svc.ByReceipt(ctx, taken); err != nil || c.ID != held.ID {
		t.Errorf("the device's receipt opens %v (%v), want the case that held it", c, err)
	}
	if evs, err := svc.Timeline(ctx, m.Result.ID); err != nil || !slices.ContainsFunc(evs, func(e Event) bool { return e.Type == EventReceiptReplaced }) {
		t.Errorf("the clashing case's timeline lacks the replaced receipt (%v)", err)
	}

	// Each new case is whole: it is in the copy the lists read, with its
	// acknowledgement and creation event, and staff were told of it once.
	for _, id := range made {
		c, err := svc.View(ctx, id)
		if err != nil {
			t.Fatalf("case %s not in the copy: %v", id, err)
		}
		evs, err := svc.Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(evs, func(e Event) bool { return e.Type == EventCreated }) ||
			!slices.ContainsFunc(evs, func(e Event) bool { return e.Type == EventMessage && e.Data["text"] == "std.ack" }) {
			t.Errorf("case %s (%s) lacks its first events: %v", id, c.Reference, evs)
		}
	}
	notes.mu.Lock()
	told := slices.Clone(notes.ids)
	calls := notes.calls
	notes.mu.Unlock()
	count := map[string]int{}
	for _, id := range told {
		count[id]++
	}
	for _, id := range made {
		if count[id] != 1 {
			t.Errorf("staff were told of new case %s %d times, want once", id, count[id])
		}
		delete(count, id)
	}
	// The repeat is told again (a crash may have cut it short; push keys
	// make that add nothing); nothing else.
	delete(count, before.ID)
	delete(count, lagging.ID)
	if len(count) > 0 {
		t.Errorf("staff were told of cases not made now: %v", count)
	}
	if calls > 6 {
		t.Errorf("staff were told in %d calls; want one a group", calls)
	}
	// Six inserts a case one by one; a few a group now.
	if inserts*2 > int64(fresh) {
		t.Errorf("%d inserts for %d new cases, want fewer than one for every two", inserts, fresh)
	}
	// The receipts the desk made open their cases.
	for _, i := range []int{0, fresh / 2, fresh - 1} {
		if c, err := svc.ByReceipt(ctx, out[i].Result.Receipt); err != nil || c.ID != out[i].Result.ID {
			t.Errorf("report %d's receipt opens %v (%v)", i, c, err)
		}
	}
}

// When the database fails in the middle of a sync, the rest of the batch
// is not hashed for nothing: every report gets the desk's failure (the
// tablet keeps them all and sends them again), and no case is stored.
func TestCreateManyStopsWhenTheDatabaseFails(t *testing.T) {
	svc, st := newTestServiceNotifying(t, &batchNotes{})
	ctx := t.Context()
	var ins []Input
	for i := range 3 * storeEvery {
		ins = append(ins, Input{ID: uuid.NewString(), Kind: "complaint", Category: "business.bank",
			Description: fmt.Sprintf("Report %d.", i), About: "Bank X", Municipality: "Amsterdam", Wish: "handle",
			Language: "en", Identity: Identity{Mode: "anonymous"}})
	}
	st.SetWriteFault(errors.New("disk full"))
	hashes := svc.seal.ReceiptHashes()
	out := svc.CreateMany(ctx, ins, ChannelOutreach)
	hashes = svc.seal.ReceiptHashes() - hashes
	for i, m := range out {
		if m.Err == nil || reportsFault(m.Err) {
			t.Fatalf("report %d: %+v, want the desk's failure", i, m)
		}
	}
	if hashes >= int64(2*storeEvery) {
		t.Errorf("%d receipts hashed for %d reports after the first group failed", hashes, len(ins))
	}
	st.SetWriteFault(nil)
	if n, err := st.C(collectionCases).CountDocuments(ctx, map[string]any{}); err != nil || n != 0 {
		t.Errorf("%d cases stored (%v), want none", n, err)
	}
}
