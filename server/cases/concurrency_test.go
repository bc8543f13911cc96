package cases

// Concurrency probes. Goroutines released together (a closed channel) act on
// the same case through the public Service API, on one instance and on two
// (two stores on one database, as two servers would be). Each probe asserts
// what some order of atomic steps would leave behind: one winner where only
// one may win, and no lost field where several may. FerretDB v1 applies an
// update by reading the document, changing it in Go and writing all of it
// back without checking the filter again (see the package comment of
// server/store), so these probes hold only while every write goes through
// the store's atomic routes (server/store/write.go).
//
// Her requests (by receipt) start with a deliberately slow hash, which
// spreads them out in time; those probes pair her one request with another
// of hers (one per core), or with a staff action repeated until hers is
// done, so that the writes still meet.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// probeNotes counts reopen requests per case; shared by every instance and
// safe for concurrent use.
type probeNotes struct {
	mu     sync.Mutex
	reopen map[string]int
}

func (n *probeNotes) CaseCreated(context.Context, string) error           { return nil }
func (n *probeNotes) ReplyReceived(context.Context, string, string) error { return nil }
func (n *probeNotes) ReopenRequested(_ context.Context, id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reopen[id]++
	return nil
}

func (n *probeNotes) reopens(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reopen[id]
}

// probeEnv is one or two service instances on one database.
type probeEnv struct {
	svcs   []*Service
	st     *store.Store // the first instance's store, to set cases up
	sealer *seal.Sealer
	notes  *probeNotes
}

// svc spreads goroutine i over the instances.
func (e *probeEnv) svc(i int) *Service { return e.svcs[i%len(e.svcs)] }

func newProbeEnv(t *testing.T, instances int) *probeEnv {
	t.Helper()
	uri, db := storetest.URI(t), storetest.DBName()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &probeEnv{sealer: sealer, notes: &probeNotes{reopen: map[string]int{}}}
	for i := range instances {
		st, err := store.Open(t.Context(), store.Options{URI: uri, DBName: db})
		if err != nil {
			t.Fatal(err)
		}
		first := i == 0
		t.Cleanup(func() {
			if first {
				_ = st.DB.Drop(context.Background())
			}
			_ = st.Close(context.Background())
		})
		svc := NewService(Config{Store: st, Sealer: sealer, Texts: i18n.Default(), Notify: e.notes})
		if first {
			if err := svc.EnsureIndexes(t.Context()); err != nil {
				t.Fatal(err)
			}
			e.st = st
		}
		e.svcs = append(e.svcs, svc)
	}
	return e
}

// probes are run by TestConcurrency on one instance and on two.
var probes = []struct {
	name string
	run  func(t *testing.T, e *probeEnv)
}{
	{"TransitionSameRoute", repeat(2, probeTransitionSameRoute)},
	{"TransitionDifferentRoutes", repeat(2, probeTransitionDifferentRoutes)},
	{"Close", repeat(3, probeClose)},
	{"Extend", repeat(2, probeExtend)},
	{"RecordHeard", probeRecordHeard},
	{"Assign", repeat(2, probeAssign)},
	{"Priority", probePriority},
	{"AssignAndTransition", func(t *testing.T, e *probeEnv) {
		pairProbe(t, e, StateTriage, assignAct("h1"), transitionAct(StateAdvice))
	}},
	{"AssignAndPriority", func(t *testing.T, e *probeEnv) {
		pairProbe(t, e, StateTriage, assignAct("h1"), priorityAct(2))
	}},
	{"ReplyAndAssign", func(t *testing.T, e *probeEnv) {
		hammerProbe(t, e, StateTriage, replyAct(true), assignHammer())
	}},
	{"ReplyAndTransition", func(t *testing.T, e *probeEnv) {
		hammerProbe(t, e, StateTriage, replyAct(true), transitionHammer())
	}},
	{"HeardAndAssign", func(t *testing.T, e *probeEnv) {
		hammerProbe(t, e, StateClosed, heardAct(), assignHammer())
	}},
	{"LinkThemes", probeLinkThemes},
	{"LinkSameTheme", repeat(2, probeLinkSameTheme)},
	{"LinkAndUnlinkThemes", probeLinkAndUnlinkThemes},
	{"EraseAndWrites", func(t *testing.T, e *probeEnv) {
		// A second round on a database of its own: the erase takes every
		// case closed before its cutoff.
		probeEraseAndWrites(t, e)
		probeEraseAndWrites(t, newProbeEnv(t, len(e.svcs)))
	}},
	{"CreateSameReport", probeCreateSameReport},
}

// repeat runs a probe n times, each on cases of its own: one meeting of
// the writers may miss the window where an update is not atomic.
func repeat(n int, f func(t *testing.T, e *probeEnv)) func(t *testing.T, e *probeEnv) {
	return func(t *testing.T, e *probeEnv) {
		for range n {
			f(t, e)
		}
	}
}

// TestConcurrency runs every probe with one service and with two services
// on two stores opened on the same database (two instances), each probe on
// a fresh database: FerretDB filters most queries in Go, so a database
// shared by all probes makes every later one slower.
func TestConcurrency(t *testing.T) {
	for _, mode := range []struct {
		name      string
		instances int
	}{{"one_instance", 1}, {"two_instances", 2}} {
		t.Run(mode.name, func(t *testing.T) {
			for _, p := range probes {
				t.Run(p.name, func(t *testing.T) { p.run(t, newProbeEnv(t, mode.instances)) })
			}
		})
	}
}

// newCases puts k named cases in state straight into the store (Create is
// probed on its own). Only with receipts can she reach them: a receipt's
// hash is slow, so the others get random bytes in its place.
func newCases(t *testing.T, e *probeEnv, k int, state State, receipts bool) []Result {
	t.Helper()
	now := time.Now().UTC()
	rs := make([]Result, k)
	errs := together(k, func(i int) error { // the hashes, one per core
		id := uuid.NewString()
		c := &Case{ID: id, ClientID: id, Reference: "GH-probe-" + id[:8],
			CreatedAt: now, UpdatedAt: now, LastActivity: now,
			Kind: "complaint", Category: "business.bank", Group: "business", Municipality: "Amsterdam",
			Wish: "handle", IdentityMode: "named", Language: "en", Channel: string(ChannelWeb),
			State: state, Deadlines: ComputeDeadlines(now), Themes: []string{},
			Name:    e.sealer.Seal("Anna", sealCtx(id, "name")),
			Contact: e.sealer.Seal("06-12345678", sealCtx(id, "contact")),
		}
		if state == StateClosed {
			c.ClosedAt = now
		}
		rs[i] = Result{ID: id, Reference: c.Reference}
		if receipts {
			r, err := NewReceipt()
			if err != nil {
				return err
			}
			h, err := e.sealer.ReceiptHash(context.Background(), r)
			if err != nil {
				return err
			}
			rs[i].Receipt, c.ReceiptHash = r, h
		} else {
			c.ReceiptHash = make([]byte, 32)
			_, _ = rand.Read(c.ReceiptHash)
		}
		_, err := e.st.C(collectionCases).InsertOne(t.Context(), c)
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

// together runs f(0) … f(n-1) in n goroutines released at once.
func together(n int, f func(i int) error) []error {
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func countNil(errs []error) (n int, winner int) {
	winner = -1
	for i, err := range errs {
		if err == nil {
			n++
			winner = i
		}
	}
	return n, winner
}

// load reads a case and its timeline.
func load(t *testing.T, e *probeEnv, id string) (*Case, []Event) {
	t.Helper()
	c, err := e.svcs[0].Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.svcs[0].Timeline(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c, evs
}

func eventsOf(evs []Event, typ string, keep func(Event) bool) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Type == typ && (keep == nil || keep(ev)) {
			out = append(out, ev)
		}
	}
	return out
}

// walkEnd says whether the moves (from -> to) chain into one path from
// start, as compare-and-set steps taken one after another do, and where it
// ends. Two moves from the same value mean two writers both won.
func walkEnd(moves [][2]string, start string) (string, bool) {
	if len(moves) == 0 {
		return start, true
	}
	bal := map[string]int{}
	next := map[string][]string{}
	for _, m := range moves {
		bal[m[0]]++
		bal[m[1]]--
		next[m[0]] = append(next[m[0]], m[1])
	}
	end := start
	for v, b := range bal {
		switch {
		case b == 0:
		case v == start && b == 1:
		case v != start && b == -1 && end == start:
			end = v
		default:
			return "", false
		}
	}
	if (bal[start] == 1) != (end != start) {
		return "", false
	}
	// Every move must be reachable from start (one path, not two).
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range next[v] {
			if !seen[w] {
				seen[w] = true
				queue = append(queue, w)
			}
		}
	}
	for _, m := range moves {
		if !seen[m[0]] {
			return "", false
		}
	}
	return end, true
}

// checkConsistent fails unless the case agrees with its timeline: state,
// assignee and priority are where their events lead, themes match the
// link/unlink events, and the erased, heard and extended marks each have
// their one event. start is the state the case was put in before the probe.
func checkConsistent(t *testing.T, c *Case, evs []Event, start State) {
	t.Helper()
	var states, assigns, prios [][2]string
	for _, ev := range evs {
		switch ev.Type {
		case EventState:
			states = append(states, [2]string{string(ev.From), string(ev.To)})
		case EventAssigned:
			assigns = append(assigns, [2]string{ev.Data["from"], ev.Data["to"]})
		case EventPriority:
			prios = append(prios, [2]string{ev.Data["from"], ev.Data["to"]})
		}
	}
	if end, ok := walkEnd(states, string(start)); !ok || end != string(c.State) {
		t.Errorf("case %s: state %s, but state events %v from %s do not lead there (one chain: %v)", c.Reference, c.State, states, start, ok)
	}
	if c.State.IsRoute() && c.State != start && c.Route != c.State {
		t.Errorf("case %s: state %s with route %q", c.Reference, c.State, c.Route)
	}
	if end, ok := walkEnd(assigns, ""); !ok || end != c.AssignedTo {
		t.Errorf("case %s: assigned to %q, but assigned events %v do not lead there (one chain: %v)", c.Reference, c.AssignedTo, assigns, ok)
	}
	if end, ok := walkEnd(prios, "0"); !ok || end != strconv.Itoa(c.Priority) {
		t.Errorf("case %s: priority %d, but priority events %v do not lead there (one chain: %v)", c.Reference, c.Priority, prios, ok)
	}
	linked := map[string]int{}
	for _, ev := range eventsOf(evs, EventTheme, nil) {
		if ev.Data["action"] == "link" {
			linked[ev.Data["theme"]]++
		} else {
			linked[ev.Data["theme"]]--
		}
	}
	for _, th := range c.Themes {
		linked[th]--
	}
	for th, n := range linked {
		if n != 0 {
			t.Errorf("case %s: theme %s on the case and its link events differ by %d (themes %v)", c.Reference, th, n, c.Themes)
		}
	}
	if named := c.IdentityMode == "named"; c.Erased && (c.Name != nil || c.Contact != nil) ||
		named && !c.Erased && (c.Name == nil || c.Contact == nil) {
		t.Errorf("case %s: erased=%v but name present=%v, contact present=%v", c.Reference, c.Erased, c.Name != nil, c.Contact != nil)
	}
	if n := len(eventsOf(evs, EventErased, nil)); n != 0 && !c.Erased {
		t.Errorf("case %s: %d erased events but the identity is back", c.Reference, n)
	}
	heard := eventsOf(evs, EventHeard, nil)
	switch {
	case c.Heard == "" && len(heard) != 0:
		t.Errorf("case %s: her answer %q recorded on the timeline but not on the case", c.Reference, heard[0].Data["answer"])
	case c.Heard != "" && (len(heard) != 1 || heard[0].Data["answer"] != c.Heard):
		t.Errorf("case %s: heard %q with %d heard events", c.Reference, c.Heard, len(heard))
	}
	ext := len(eventsOf(evs, EventExtended, nil))
	notices := len(eventsOf(evs, EventMessage, func(ev Event) bool { return ev.Data["text"] == TextExtended.Name }))
	if want := map[bool]int{false: 0, true: 1}[c.Deadlines.Extended]; ext != want || notices != want {
		t.Errorf("case %s: extended=%v with %d extension events and %d notices", c.Reference, c.Deadlines.Extended, ext, notices)
	}
}

// --- one winner ---

func probeTransitionSameRoute(t *testing.T, e *probeEnv) {
	const n = 12
	r := newCases(t, e, 1, StateTriage, false)[0]
	errs := together(n, func(i int) error {
		_, err := e.svc(i).Transition(t.Context(), r.ID, fmt.Sprintf("u%d", i), StateAdvice, "")
		return err
	})
	wins, w := countNil(errs)
	for i, err := range errs {
		if err != nil && !isAny(err, ErrChanged, ErrTransition) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	states := eventsOf(evs, EventState, nil)
	if wins != 1 || len(states) != 1 {
		t.Fatalf("%d callers won triage -> advice, %d state events; want 1 and 1", wins, len(states))
	}
	if states[0].Actor != fmt.Sprintf("u%d", w) || c.State != StateAdvice || c.Route != StateAdvice {
		t.Errorf("event by %s, state %s route %s; want the winner u%d, advice", states[0].Actor, c.State, c.Route, w)
	}
	checkConsistent(t, c, evs, StateTriage)
}

func probeTransitionDifferentRoutes(t *testing.T, e *probeEnv) {
	n := 2 * len(Routes)
	r := newCases(t, e, 1, StateTriage, false)[0]
	errs := together(n, func(i int) error {
		_, err := e.svc(i).Transition(t.Context(), r.ID, fmt.Sprintf("u%d", i), Routes[i%len(Routes)], "reasons")
		return err
	})
	wins, _ := countNil(errs)
	for i, err := range errs {
		if err != nil && !isAny(err, ErrChanged, ErrTransition) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	// A later caller may move the case on from the route a first one chose:
	// fine, as long as each move starts where the last ended. Only one can
	// leave triage.
	fromTriage := eventsOf(evs, EventState, func(ev Event) bool { return ev.From == StateTriage })
	if n := len(eventsOf(evs, EventState, nil)); n != wins || len(fromTriage) != 1 {
		t.Errorf("%d callers succeeded, %d state events, %d of them from triage; want equal counts and 1 from triage", wins, n, len(fromTriage))
	}
	for i, err := range errs {
		if err != nil {
			continue
		}
		mine := eventsOf(evs, EventState, func(ev Event) bool { return ev.Actor == fmt.Sprintf("u%d", i) })
		if len(mine) != 1 || mine[0].To != Routes[i%len(Routes)] {
			t.Errorf("caller %d succeeded but has %d events", i, len(mine))
		}
	}
	checkConsistent(t, c, evs, StateTriage)
}

func probeClose(t *testing.T, e *probeEnv) {
	const n = 12
	outcomes := []Outcome{OutcomeResolved, OutcomePartlyResolved, OutcomeNotPossible, OutcomeWithdrawn}
	r := newCases(t, e, 1, StateFeedback, false)[0]
	// Closing needs the reasoned answer sent first.
	if _, err := e.svc(0).SendMessage(t.Context(), r.ID, "u0", Outgoing{Line: "Our answer.", Answer: true}); err != nil {
		t.Fatal(err)
	}
	errs := together(n, func(i int) error {
		_, err := e.svc(i).Close(t.Context(), r.ID, fmt.Sprintf("u%d", i), outcomes[i%len(outcomes)])
		return err
	})
	wins, w := countNil(errs)
	for i, err := range errs {
		if err != nil && !isAny(err, ErrChanged, ErrTransition) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	closed := eventsOf(evs, EventState, func(ev Event) bool { return ev.To == StateClosed })
	if wins != 1 || len(closed) != 1 {
		t.Fatalf("%d callers closed the case, %d closing events; want 1 and 1", wins, len(closed))
	}
	if c.Outcome != outcomes[w%len(outcomes)] || closed[0].Data["outcome"] != string(c.Outcome) {
		t.Errorf("outcome %s, event says %s; the winner chose %s", c.Outcome, closed[0].Data["outcome"], outcomes[w%len(outcomes)])
	}
	checkConsistent(t, c, evs, StateFeedback)
}

func probeExtend(t *testing.T, e *probeEnv) {
	const n = 12
	r := newCases(t, e, 1, StateAdvice, false)[0]
	before, _ := load(t, e, r.ID)
	want, err := before.Deadlines.Extend()
	if err != nil {
		t.Fatal(err)
	}
	errs := together(n, func(i int) error {
		_, err := e.svc(i).Extend(t.Context(), r.ID, fmt.Sprintf("u%d", i), "")
		return err
	})
	wins, _ := countNil(errs)
	for i, err := range errs {
		if err != nil && !isAny(err, ErrAlreadyExtended, ErrChanged) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	if ext := eventsOf(evs, EventExtended, nil); wins != 1 || len(ext) != 1 {
		t.Errorf("%d callers extended, %d extension events; want 1 and 1", wins, len(ext))
	}
	if !c.Deadlines.Extended || !c.Deadlines.Answer.Equal(want.Answer) {
		t.Errorf("answer deadline %v (extended %v), want %v: extended once", c.Deadlines.Answer, c.Deadlines.Extended, want.Answer)
	}
	checkConsistent(t, c, evs, StateAdvice)
}

// probeRecordHeard: she answers yes on one device and no on another at once,
// in a few rounds.
func probeRecordHeard(t *testing.T, e *probeEnv) {
	rs := newCases(t, e, 4, StateClosed, true)
	for k, r := range rs {
		errs := together(2, func(i int) error {
			_, err := e.svc(i).RecordHeard(t.Context(), r.Receipt, i == 0, "")
			return err
		})
		wins, w := countNil(errs)
		for i, err := range errs {
			if err != nil && !isAny(err, ErrAlreadyAnswered, ErrNotClosed, ErrChanged) {
				t.Errorf("round %d, caller %d: %v", k, i, err)
			}
		}
		c, evs := load(t, e, r.ID)
		heard := eventsOf(evs, EventHeard, nil)
		if wins != 1 || len(heard) != 1 {
			t.Errorf("round %d: %d answers taken, %d heard events; want 1 and 1", k, wins, len(heard))
			continue
		}
		answer, state, reopens := "yes", StateClosed, 0
		if w == 1 {
			answer, state, reopens = "no", StateReopenRequested, 1
		}
		if c.Heard != answer || c.State != state {
			t.Errorf("round %d: heard %q, state %s; the winner said %q", k, c.Heard, c.State, answer)
		}
		if got := e.notes.reopens(r.ID); got != reopens {
			t.Errorf("round %d: coordinators told of %d reopen requests, want %d", k, got, reopens)
		}
		checkConsistent(t, c, evs, StateClosed)
	}
}

func probeAssign(t *testing.T, e *probeEnv) {
	const n = 12
	r := newCases(t, e, 1, StateTriage, false)[0]
	errs := together(n, func(i int) error {
		_, err := e.svc(i).Assign(t.Context(), r.ID, "coord", fmt.Sprintf("h%d", i%4))
		return err
	})
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrChanged) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	// A caller may reassign after another (h1 -> h2): fine; two may not
	// both take it from unassigned.
	if got := eventsOf(evs, EventAssigned, func(ev Event) bool { return ev.Data["from"] == "" }); len(got) != 1 {
		t.Errorf("%d assignments from unassigned, want 1", len(got))
	}
	checkConsistent(t, c, evs, StateTriage)
}

func probePriority(t *testing.T, e *probeEnv) {
	const n = 12
	r := newCases(t, e, 1, StateTriage, false)[0]
	errs := together(n, func(i int) error {
		_, err := e.svc(i).SetPriority(t.Context(), r.ID, fmt.Sprintf("u%d", i), 1+i%2)
		return err
	})
	wins, _ := countNil(errs)
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrChanged) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	// A caller that finds its value already set returns nil without an
	// event, so events <= successes; each event must start where the one
	// before ended, and the last is the value kept (checkConsistent).
	if prios := eventsOf(evs, EventPriority, nil); len(prios) == 0 || len(prios) > wins {
		t.Errorf("%d priority events for %d successful callers", len(prios), wins)
	}
	if got := eventsOf(evs, EventPriority, func(ev Event) bool { return ev.Data["from"] == "0" }); len(got) != 1 {
		t.Errorf("%d priority changes from 0, want 1", len(got))
	}
	checkConsistent(t, c, evs, StateTriage)
}

// --- several writers, no lost field ---

// act is one side of a pair probe.
type act struct {
	name    string
	do      func(ctx context.Context, s *Service, r Result) error
	allowed []error // besides nil: a loser told to read again
	// check says what of the action is missing from c, given whether it
	// returned nil and when the round began; "" when all is well.
	check func(c *Case, evs []Event, won bool, since time.Time) string
}

// pairProbe releases a and b on a case in start, round after round on fresh
// cases (with two instances, a runs on one and b on the other).
func pairProbe(t *testing.T, e *probeEnv, start State, a, b act) {
	acts := []act{a, b}
	for k, r := range newCases(t, e, 4, start, false) {
		since := time.Now()
		errs := together(2, func(i int) error { return acts[i].do(t.Context(), e.svc(i), r) })
		c, evs := load(t, e, r.ID)
		for j, x := range acts {
			if err := errs[j]; err != nil && !isAny(err, x.allowed...) {
				t.Errorf("round %d: %s: %v", k, x.name, err)
			} else if msg := x.check(c, evs, err == nil, since); msg != "" {
				t.Errorf("round %d: %s (returned %v): %s", k, x.name, err, msg)
			}
		}
		checkConsistent(t, c, evs, start)
	}
}

func assignAct(user string) act {
	return act{name: "assign " + user, allowed: []error{ErrChanged},
		do: func(ctx context.Context, s *Service, r Result) error {
			_, err := s.Assign(ctx, r.ID, "coord", user)
			return err
		},
		check: func(c *Case, evs []Event, won bool, _ time.Time) string {
			n := len(eventsOf(evs, EventAssigned, func(ev Event) bool { return ev.Data["to"] == user }))
			if won && (n != 1 || c.AssignedTo != user) {
				return fmt.Sprintf("assigned to %q with %d events", c.AssignedTo, n)
			}
			if !won && n != 0 {
				return "refused, yet on the timeline"
			}
			return ""
		}}
}

func transitionAct(to State) act {
	return act{name: "transition to " + string(to), allowed: []error{ErrChanged, ErrTransition},
		do: func(ctx context.Context, s *Service, r Result) error {
			_, err := s.Transition(ctx, r.ID, "staff", to, "reasons")
			return err
		},
		check: func(c *Case, evs []Event, won bool, _ time.Time) string {
			n := len(eventsOf(evs, EventState, func(ev Event) bool { return ev.Actor == "staff" && ev.To == to }))
			if won != (n == 1) {
				return fmt.Sprintf("%d events for it", n)
			}
			return "" // where the state ended is checkConsistent's
		}}
}

func priorityAct(p int) act {
	return act{name: "priority " + strconv.Itoa(p), allowed: []error{ErrChanged},
		do: func(ctx context.Context, s *Service, r Result) error {
			_, err := s.SetPriority(ctx, r.ID, "staff", p)
			return err
		},
		check: func(c *Case, evs []Event, won bool, _ time.Time) string {
			n := len(eventsOf(evs, EventPriority, func(ev Event) bool { return ev.Data["to"] == strconv.Itoa(p) }))
			if won && (n != 1 || c.Priority != p) {
				return fmt.Sprintf("priority %d with %d events", c.Priority, n)
			}
			if !won && n != 0 {
				return "refused, yet on the timeline"
			}
			return ""
		}}
}

// replyAct is her reply. Her message must move last_activity, and where the
// workflow lets it (flips) the case must show that she is waiting: it ends
// in reply_received, or staff moved it on from there after seeing it.
func replyAct(flips bool) act {
	return act{name: "her reply",
		do: func(ctx context.Context, s *Service, r Result) error {
			_, err := s.Reply(ctx, r.Receipt, "Any news?")
			return err
		},
		check: func(c *Case, evs []Event, won bool, since time.Time) string {
			replies := eventsOf(evs, EventReply, nil)
			if !won || len(replies) != 1 {
				return fmt.Sprintf("%d replies on the timeline", len(replies))
			}
			// The store keeps milliseconds.
			if c.LastActivity.Before(since.Truncate(time.Millisecond)) {
				return fmt.Sprintf("last activity not moved: %v, round began %v", c.LastActivity, since)
			}
			seen := c.State == StateReplyReceived ||
				len(eventsOf(evs, EventState, func(ev Event) bool { return ev.From == StateReplyReceived })) > 0
			if flips && !seen {
				return fmt.Sprintf("case ends in %s and was never reply_received", c.State)
			}
			return ""
		}}
}

func heardAct() act {
	return act{name: "heard no", allowed: []error{ErrNotClosed, ErrAlreadyAnswered, ErrChanged},
		do: func(ctx context.Context, s *Service, r Result) error {
			_, err := s.RecordHeard(ctx, r.Receipt, false, "")
			return err
		},
		check: func(c *Case, evs []Event, won bool, _ time.Time) string {
			if won && (c.Heard != "no" || c.State != StateReopenRequested) {
				return fmt.Sprintf("heard %q, state %s after her reopen request", c.Heard, c.State)
			}
			return ""
		}}
}

// hammer is a staff action repeated while her one request runs, so that
// her single write meets many concurrent ones.
type hammer struct {
	name    string
	step    func(ctx context.Context, s *Service, r Result, k int) error // the k-th repeat
	allowed []error
	// events counts what the successful steps left on the timeline: one
	// each when exact, at most one each otherwise (a step that finds its
	// value already set returns nil and writes nothing).
	events func(evs []Event) int
	exact  bool
}

// assignHammer hands the case to a new handler each time.
func assignHammer() hammer {
	return hammer{name: "assign", allowed: []error{ErrChanged}, exact: true,
		step: func(ctx context.Context, s *Service, r Result, k int) error {
			_, err := s.Assign(ctx, r.ID, "staff", fmt.Sprintf("h%d", k+1))
			return err
		},
		events: func(evs []Event) int { return len(eventsOf(evs, EventAssigned, nil)) }}
}

// transitionHammer moves the case between two routes.
func transitionHammer() hammer {
	return hammer{name: "transition", allowed: []error{ErrChanged, ErrTransition}, exact: true,
		step: func(ctx context.Context, s *Service, r Result, k int) error {
			_, err := s.Transition(ctx, r.ID, "staff", []State{StateListening, StateAdvice}[k%2], "reasons")
			return err
		},
		events: func(evs []Event) int {
			return len(eventsOf(evs, EventState, func(ev Event) bool { return ev.Actor == "staff" }))
		}}
}

// priorityHammer switches the priority between 1 and 2.
func priorityHammer() hammer {
	return hammer{name: "priority", allowed: []error{ErrChanged},
		step: func(ctx context.Context, s *Service, r Result, k int) error {
			_, err := s.SetPriority(ctx, r.ID, "staff", 1+k%2)
			return err
		},
		events: func(evs []Event) int { return len(eventsOf(evs, EventPriority, nil)) }}
}

// hammerUntil repeats h on r until stop is closed; it returns how many
// steps succeeded.
func hammerUntil(ctx context.Context, s *Service, r Result, h hammer, stop <-chan struct{}) (int, error) {
	wins := 0
	for k := 0; ; k++ {
		select {
		case <-stop:
			return wins, nil
		default:
		}
		err := h.step(ctx, s, r, k)
		if err == nil {
			wins++
		} else if !isAny(err, h.allowed...) {
			return wins, err
		}
	}
}

// checkHammer fails unless the timeline holds the hammer's successful steps.
func checkHammer(t *testing.T, h hammer, evs []Event, wins int) {
	t.Helper()
	n := h.events(evs)
	if h.exact && n != wins || !h.exact && (n > wins || wins > 0 && n == 0) {
		t.Errorf("%s: %d steps succeeded, %d events", h.name, wins, n)
	}
}

// hammerProbe runs her request once on a case in start while h repeats
// until it is done, over a few rounds (with two instances, hers on one and
// staff's on the other).
func hammerProbe(t *testing.T, e *probeEnv, start State, once act, h hammer) {
	const rounds = 2
	for k, r := range newCases(t, e, rounds, start, true) {
		since := time.Now()
		done := make(chan struct{})
		var wins int
		errs := together(2, func(i int) error {
			if i == 0 {
				defer close(done)
				return once.do(t.Context(), e.svc(0), r)
			}
			var err error
			wins, err = hammerUntil(t.Context(), e.svc(1), r, h, done)
			return err
		})
		c, evs := load(t, e, r.ID)
		if err := errs[0]; err != nil && !isAny(err, once.allowed...) {
			t.Errorf("round %d: %s: %v", k, once.name, err)
		} else if msg := once.check(c, evs, err == nil, since); msg != "" {
			t.Errorf("round %d: %s (returned %v) against %d %s steps: %s", k, once.name, err, wins, h.name, msg)
		}
		if errs[1] != nil {
			t.Errorf("round %d: %s: %v", k, h.name, errs[1])
		}
		checkHammer(t, h, evs, wins)
		checkConsistent(t, c, evs, start)
	}
}

// --- themes ---

func newThemes(t *testing.T, e *probeEnv, n int) []string {
	t.Helper()
	ids := make([]string, n)
	errs := together(n, func(i int) error {
		th, err := e.svc(i).CreateTheme(t.Context(), "coord", fmt.Sprintf("Theme %d", i), "", "")
		if err == nil {
			ids[i] = th.ID
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// probeLinkThemes links n themes to one case at once while each theme's
// note is being set.
func probeLinkThemes(t *testing.T, e *probeEnv) {
	const n = 12
	ctx := t.Context()
	r := newCases(t, e, 1, StateTriage, false)[0]
	ths := newThemes(t, e, n)
	errs := together(2*n, func(i int) error {
		if i < n {
			return e.svc(i).LinkTheme(ctx, r.ID, ths[i], "coord")
		}
		return e.svc(i).SetThemeNote(ctx, ths[i-n], fmt.Sprintf("note %d", i-n))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	if got, want := slices.Sorted(slices.Values(c.Themes)), slices.Sorted(slices.Values(ths)); !slices.Equal(got, want) {
		t.Errorf("case has %d themes, want all %d", len(got), len(want))
	}
	counts, err := e.svcs[0].ThemeCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ths {
		th, err := e.svcs[0].Theme(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if note := e.svcs[0].ThemeNote(th); note != fmt.Sprintf("note %d", i) {
			t.Errorf("theme %d: note %q", i, note)
		}
		if counts[id] != 1 {
			t.Errorf("theme %d: counted on %d cases, want 1", i, counts[id])
		}
	}
	checkConsistent(t, c, evs, StateTriage)
}

func probeLinkSameTheme(t *testing.T, e *probeEnv) {
	const n = 12
	r := newCases(t, e, 1, StateTriage, false)[0]
	th := newThemes(t, e, 1)[0]
	errs := together(n, func(i int) error { return e.svc(i).LinkTheme(t.Context(), r.ID, th, "coord") })
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	if links := eventsOf(evs, EventTheme, nil); len(c.Themes) != 1 || len(links) != 1 {
		t.Errorf("theme on the case %d times with %d link events; want linked once", len(c.Themes), len(links))
	}
	checkConsistent(t, c, evs, StateTriage)
}

func probeLinkAndUnlinkThemes(t *testing.T, e *probeEnv) {
	const n = 6
	ctx := t.Context()
	r := newCases(t, e, 1, StateTriage, false)[0]
	ths := newThemes(t, e, 2*n)
	olds, news := ths[:n], ths[n:]
	for _, id := range olds {
		if err := e.svcs[0].LinkTheme(ctx, r.ID, id, "coord"); err != nil {
			t.Fatal(err)
		}
	}
	// Even goroutines unlink an old theme, odd ones link a new one.
	errs := together(2*n, func(i int) error {
		if i%2 == 0 {
			return e.svc(i).UnlinkTheme(ctx, r.ID, olds[i/2], "coord")
		}
		return e.svc(i).LinkTheme(ctx, r.ID, news[i/2], "coord")
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	c, evs := load(t, e, r.ID)
	var stale, missing int
	for _, id := range olds {
		if slices.Contains(c.Themes, id) {
			stale++
		}
	}
	for _, id := range news {
		if !slices.Contains(c.Themes, id) {
			missing++
		}
	}
	if stale != 0 || missing != 0 || len(c.Themes) != n {
		t.Errorf("after unlinking %d themes and linking %d: %d unlinked ones back, %d linked ones missing, %d on the case", n, n, stale, missing, len(c.Themes))
	}
	checkConsistent(t, c, evs, StateTriage)
}

// --- retention ---

// probeEraseAndWrites runs the retention erase while staff and she write to
// the closed cases: each case is erased once, stays erased, and the other
// write is kept. Erasing runs twice at once, as if the daily claim were
// skipped.
func probeEraseAndWrites(t *testing.T, e *probeEnv) {
	ctx := t.Context()
	now := time.Now().UTC()
	// Staff's cases were closed longer ago than hers, so one erase can take
	// theirs at once while the other takes hers when her reply arrives.
	staffClosed, herClosed := now.AddDate(0, 0, -400), now.AddDate(0, 0, -300)
	staff := newCases(t, e, 2, StateClosed, false)
	her := newCases(t, e, 1, StateClosed, true)[0]
	for _, r := range append(slices.Clone(staff), her) {
		at := herClosed
		if r != her {
			at = staffClosed
		}
		if _, err := e.st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": r.ID}, bson.M{"$set": bson.M{"closed_at": at}}); err != nil {
			t.Fatal(err)
		}
	}
	hammers := []hammer{assignHammer(), priorityHammer()}
	reply := replyAct(false)
	staffErased := make(chan struct{})
	erased := make([]int, 2)
	wins := make([]int, 2)
	since := time.Now()
	errs := together(5, func(i int) error {
		s := e.svc(i)
		var err error
		switch i {
		case 0:
			defer close(staffErased)
			erased[0], err = s.EraseIdentities(ctx, staffClosed.Add(time.Hour))
		case 1:
			// Starts with her receipt's hash, to be ready when her reply is.
			if _, err = s.ByReceipt(ctx, her.Receipt); err == nil {
				erased[1], err = s.EraseIdentities(ctx, herClosed.Add(time.Hour))
			}
		case 2, 3:
			wins[i-2], err = hammerUntil(ctx, s, staff[i-2], hammers[i-2], staffErased)
		case 4:
			err = reply.do(ctx, s, her)
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	for k, r := range append(slices.Clone(staff), her) {
		c, evs := load(t, e, r.ID)
		if k < 2 {
			checkHammer(t, hammers[k], evs, wins[k])
		} else if msg := reply.check(c, evs, errs[4] == nil, since); msg != "" {
			t.Errorf("her reply against the erase: %s", msg)
		}
		if n := len(eventsOf(evs, EventErased, nil)); n != 1 || !c.Erased {
			t.Errorf("case %d: closed long ago, erased=%v with %d erased events", k, c.Erased, n)
		}
		checkConsistent(t, c, evs, StateClosed)
	}
	if total := erased[0] + erased[1]; total != 3 {
		t.Errorf("erase calls counted %d erasures for 3 cases", total)
	}
}

// --- creation (a unique insert: expected to hold already) ---

func probeCreateSameReport(t *testing.T, e *probeEnv) {
	const n = 3 // each makes a slow receipt hash
	receipt, err := NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	in := Input{ID: uuid.NewString(), Receipt: receipt, Kind: "complaint", Category: "business.bank",
		Description: "The bank closed my account.", About: "Bank X", Municipality: "Amsterdam", Wish: "handle",
		Language: "en", Identity: Identity{Mode: "named", Name: "Anna", Contact: "06-12345678"}}
	res := make([]Result, n)
	errs := together(n, func(i int) error {
		var err error
		res[i], err = e.svc(i).Create(t.Context(), in, ChannelOutreach) // only a tablet brings its receipt
		return err
	})
	fresh := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if res[i].ID != res[0].ID {
			t.Errorf("caller %d got another case", i)
		}
		if !res[i].Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d callers made the case, want 1", fresh)
	}
	count, err := e.st.C(collectionCases).CountDocuments(t.Context(), bson.M{"client_id": in.ID})
	if err != nil || count != 1 {
		t.Errorf("%d cases for one report (%v)", count, err)
	}
	c, evs := load(t, e, res[0].ID)
	if len(eventsOf(evs, EventCreated, nil)) != 1 || len(eventsOf(evs, EventMessage, nil)) != 1 {
		t.Errorf("timeline has %d events, want created + acknowledgement", len(evs))
	}
	checkConsistent(t, c, evs, StateReceived)
}
