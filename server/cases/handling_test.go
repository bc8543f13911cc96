package cases

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

type notes struct{ reopen []string }

func (n *notes) CaseCreated(context.Context, string) error           { return nil }
func (n *notes) ReplyReceived(context.Context, string, string) error { return nil }
func (n *notes) ReopenRequested(_ context.Context, id string) error {
	n.reopen = append(n.reopen, id)
	return nil
}

func newTestService(t *testing.T) (*Service, *store.Store, *notes) {
	t.Helper()
	n := &notes{}
	svc, st := newTestServiceNotifying(t, n)
	return svc, st, n
}

// newTestServiceNotifying is newTestService telling n of what happens.
func newTestServiceNotifying(t *testing.T, n Notifier) (*Service, *store.Store) {
	t.Helper()
	st := storetest.New(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(Config{Store: st, Sealer: s, Texts: i18n.Default(), Notify: n})
	if err := svc.EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func newCase(t *testing.T, svc *Service, mod func(*Input)) Result {
	t.Helper()
	in := Input{Kind: "complaint", Category: "business.bank", Description: "The bank closed my account.",
		About: "Bank X", Municipality: "Amsterdam", Wish: "handle", Language: "en",
		Identity: Identity{Mode: "named", Name: "Anna", Contact: "06-12345678"}}
	if mod != nil {
		mod(&in)
	}
	r, err := svc.Create(t.Context(), in, ChannelWeb)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sendAnswer sends her a message marked as the reasoned answer.
func sendAnswer(t *testing.T, svc *Service, id string) {
	t.Helper()
	if _, err := svc.SendMessage(t.Context(), id, "u1", Outgoing{Line: "Our answer, with reasons.", Answer: true}); err != nil {
		t.Fatal(err)
	}
}

func forceState(t *testing.T, st *store.Store, id string, s State) {
	t.Helper()
	if _, err := st.C(collectionCases).UpdateOne(t.Context(), bson.M{"_id": id}, bson.M{"$set": bson.M{"state": s}}); err != nil {
		t.Fatal(err)
	}
	journalled(t, st, id)
}

// journalled tells the services' indexes of a change a test made around
// them.
func journalled(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if err := NewService(Config{Store: st}).writeJournal(t.Context(), []journalRef{{id, ""}}); err != nil {
		t.Fatal(err)
	}
}

// TestServiceEveryTransition tries every pair of states through the
// service: allowed ones change the state and append an event, forbidden
// ones return ErrTransition and change nothing.
func TestServiceEveryTransition(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	for _, from := range AllStates {
		for _, to := range AllStates {
			forceState(t, st, r.ID, from)
			if to == StateFeedback || to == StateClosed {
				// Feedback and closing need the reasoned answer sent.
				sendAnswer(t, svc, r.ID)
			}
			allowed := slices.Contains(allowedTransitions, string(from)+">"+string(to))
			var err error
			switch {
			case to == StateClosed && from == StateFeedback:
				_, err = svc.Close(ctx, r.ID, "u1", OutcomeResolved)
			case to == StateClosed && from != StateReopenRequested:
				_, err = svc.Close(ctx, r.ID, "u1", OutcomeResolved)
			default:
				_, err = svc.Transition(ctx, r.ID, "u1", to, "reasons")
			}
			c, gerr := svc.Get(ctx, r.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if allowed {
				if err != nil || c.State != to {
					t.Errorf("%s -> %s: want allowed, got %v (state %s)", from, to, err, c.State)
				}
				if to.IsRoute() && c.Route != to {
					t.Errorf("%s -> %s: route not recorded", from, to)
				}
			} else {
				if !errors.Is(err, ErrTransition) || c.State != from {
					t.Errorf("%s -> %s: want ErrTransition, got %v (state %s)", from, to, err, c.State)
				}
			}
		}
	}
	evs, _ := svc.Timeline(ctx, r.ID)
	n := 0
	for _, e := range evs {
		if e.Type == EventState && e.Actor == "u1" {
			n++
		}
	}
	if n != len(allowedTransitions) {
		t.Errorf("%d state events, want %d", n, len(allowedTransitions))
	}
}

func TestServiceDeclineNeedsReasonAndCloseNeedsOutcome(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	forceState(t, st, r.ID, StateTriage)
	if _, err := svc.Transition(ctx, r.ID, "u1", StateDeclined, " "); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("decline without reasons: %v", err)
	}
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Transition(ctx, r.ID, "u1", StateClosed, ""); !errors.Is(err, ErrUseClose) {
		t.Fatalf("close by transition: %v", err)
	}
	if _, err := svc.Close(ctx, r.ID, "u1", ""); !errors.Is(err, ErrOutcomeRequired) {
		t.Fatalf("close without outcome: %v", err)
	}
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeUnfounded); !errors.Is(err, ErrExplanationRequired) {
		t.Fatalf("unfounded without explanation: %v", err)
	}
	// A plain message is not the explanation; one marked as the answer is.
	if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Line: "We are still looking."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeUnfounded); !errors.Is(err, ErrExplanationRequired) {
		t.Fatalf("unfounded after a plain message: %v", err)
	}
	if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "unfounded", Line: "The bank followed the rules."}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Close(ctx, r.ID, "u1", OutcomeUnfounded)
	if err != nil || c.State != StateClosed || c.Outcome != OutcomeUnfounded || c.ClosedAt.IsZero() {
		t.Fatalf("close unfounded: %v %+v", err, c)
	}
}

func TestServiceStandardTextInHerLanguage(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	cat := i18n.Default()
	for _, lang := range []string{"nl", "en"} {
		r := newCase(t, svc, func(in *Input) { in.Language = lang })
		if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "reading", Line: "Personal line."}); err != nil {
			t.Fatal(err)
		}
		msgs, err := svc.Messages(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := msgs[len(msgs)-1]
		want := cat.T(lang, "std.reading.body", "reference", r.Reference) + "\n\nPersonal line."
		if last.From != "desk" || last.Body != want {
			t.Errorf("%s: message %q, want %q", lang, last.Body, want)
		}
	}
	if _, err := svc.SendMessage(ctx, newCase(t, svc, nil).ID, "u1", Outgoing{Text: "nope"}); !errors.Is(err, ErrUnknownText) {
		t.Errorf("unknown text: %v", err)
	}
}

func TestServiceEveryStandardTextExists(t *testing.T) {
	cat := i18n.Default()
	for _, txt := range AllTexts() {
		for _, lang := range []string{"nl", "en"} {
			if !cat.Has(lang, txt.Key()) {
				t.Errorf("%s misses %s", lang, txt.Key())
			}
		}
	}
}

func TestServiceExtendOnceWithNotice(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, func(in *Input) { in.Language = "nl" })
	before, _ := svc.Get(ctx, r.ID)
	c, err := svc.Extend(ctx, r.ID, "u1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Deadlines.Extended || !c.Deadlines.Answer.After(before.Deadlines.Answer.Add(27*24*time.Hour)) {
		t.Errorf("answer deadline %v -> %v", before.Deadlines.Answer, c.Deadlines.Answer)
	}
	if _, err := svc.Extend(ctx, r.ID, "u1", ""); !errors.Is(err, ErrAlreadyExtended) {
		t.Errorf("second extension: %v", err)
	}
	msgs, _ := svc.Messages(ctx, r.ID)
	last := msgs[len(msgs)-1].Body
	if !strings.Contains(last, c.Deadlines.Answer.Format("2006-01-02")) || !strings.Contains(last, "Uiterlijk") {
		t.Errorf("notice to her: %q", last)
	}
}

func TestServiceRecordHeard(t *testing.T) {
	svc, st, n := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if _, err := svc.RecordHeard(ctx, r.Receipt, false, "nobody called"); !errors.Is(err, ErrNotClosed) {
		t.Fatalf("before closing: %v", err)
	}
	sendAnswer(t, svc, r.ID)
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	c, err := svc.RecordHeard(ctx, r.Receipt, false, "nobody called")
	if err != nil || c.State != StateReopenRequested || c.Heard != "no" {
		t.Fatalf("heard no: %v %+v", err, c)
	}
	if len(n.reopen) != 1 || n.reopen[0] != r.ID {
		t.Errorf("coordinators not told: %v", n.reopen)
	}
	if _, err := svc.RecordHeard(ctx, r.Receipt, true, ""); !errors.Is(err, ErrNotClosed) {
		t.Errorf("second answer: %v", err)
	}
	// The coordinator reopens: new deadlines, no outcome, and after the
	// next closing she may answer again.
	c, err = svc.Transition(ctx, r.ID, "coord", StateReopened, "")
	if err != nil || c.Outcome != "" || c.Heard != "" || !c.ClosedAt.IsZero() {
		t.Fatalf("reopen: %v %+v", err, c)
	}
	sendAnswer(t, svc, r.ID)
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if c, err = svc.RecordHeard(ctx, r.Receipt, true, ""); err != nil || c.State != StateClosed || c.Heard != "yes" {
		t.Fatalf("heard yes: %v %+v", err, c)
	}
	if _, err := svc.RecordHeard(ctx, r.Receipt, true, ""); !errors.Is(err, ErrAlreadyAnswered) {
		t.Errorf("answered twice: %v", err)
	}
	if _, err := svc.RecordHeard(ctx, "0000000000000000", true, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown receipt: %v", err)
	}
}

func TestServiceThemesAndSimilar(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	a := newCase(t, svc, nil)
	b := newCase(t, svc, func(in *Input) { in.About = "  bank   x "; in.Municipality = "AMSTERDAM" })
	other := newCase(t, svc, func(in *Input) { in.Municipality = "Utrecht" })
	otherCat := newCase(t, svc, func(in *Input) { in.Category = "business.legal" })
	old := newCase(t, svc, nil)
	if _, err := st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": old.ID},
		bson.M{"$set": bson.M{"created_at": time.Now().Add(-13 * 7 * 24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	ca, _ := svc.Get(ctx, a.ID)
	sim, err := svc.Similar(ctx, ca)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range sim {
		ids = append(ids, s.ID)
	}
	// The same organisation in another municipality is suggested too
	// (an organisation works in several); newest first.
	if len(ids) != 2 || ids[0] != other.ID || ids[1] != b.ID {
		t.Errorf("similar to a: %v, want only %s and %s (not %s, %s)", ids, other.ID, b.ID, otherCat.ID, old.ID)
	}
	th, err := svc.CreateTheme(ctx, "coord", "Bank refuses business accounts", "business", "Bank X")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID, b.ID} {
		if err := svc.LinkTheme(ctx, id, th.ID, "coord"); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := svc.ThemeCases(ctx, th.ID)
	counts, _ := svc.ThemeCounts(ctx)
	if len(list) != 2 || counts[th.ID] != 2 {
		t.Errorf("theme has %d cases, count %d", len(list), counts[th.ID])
	}
	// Linked, not merged: each keeps its own thread and description.
	ma, _ := svc.Messages(ctx, a.ID)
	mb, _ := svc.Messages(ctx, b.ID)
	if len(ma) != 1 || len(mb) != 1 {
		t.Errorf("threads changed: %d %d", len(ma), len(mb))
	}
	if err := svc.SetThemeNote(ctx, th.ID, "Asked the bank for its policy."); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Theme(ctx, th.ID)
	if svc.ThemeNote(got) != "Asked the bank for its policy." {
		t.Errorf("note %q", svc.ThemeNote(got))
	}
	if err := svc.UnlinkTheme(ctx, a.ID, th.ID, "coord"); err != nil {
		t.Fatal(err)
	}
	if list, _ = svc.ThemeCases(ctx, th.ID); len(list) != 1 {
		t.Errorf("after unlink %d cases", len(list))
	}
}

func TestServiceInboxFiltersAndOrder(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	mine := newCase(t, svc, nil)
	unassigned := newCase(t, svc, func(in *Input) { in.Language = "nl"; in.Category = "police" })
	theirs := newCase(t, svc, nil)
	replied := newCase(t, svc, nil)
	closed := newCase(t, svc, nil)
	for id, to := range map[string]string{mine.ID: "h1", theirs.ID: "other", replied.ID: "h1"} {
		if _, err := svc.Assign(ctx, id, "coord", to); err != nil {
			t.Fatal(err)
		}
	}
	forceState(t, st, closed.ID, StateClosed)
	// An overdue acknowledgement on "mine".
	if _, err := st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": mine.ID},
		bson.M{"$set": bson.M{"deadlines.ack": time.Now().Add(-time.Hour), "deadlines.ack_sent": time.Time{}}}); err != nil {
		t.Fatal(err)
	}
	journalled(t, st, mine.ID)
	if _, err := svc.Reply(ctx, replied.Receipt, "Any news?"); err != nil {
		t.Fatal(err)
	}
	ids := func(b Inbox) []string {
		var l []string
		for _, it := range b.Items {
			l = append(l, it.Case.ID)
		}
		return l
	}
	box, err := svc.Inbox(ctx, InboxFilter{Viewer: "h1", OnlyOwn: true})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(box)
	if len(got) != 3 || got[0] != replied.ID || got[1] != mine.ID || slices.Contains(got, theirs.ID) || slices.Contains(got, closed.ID) {
		t.Errorf("handler inbox %v: want replied, mine (overdue), unassigned", got)
	}
	if box.Counts["assigned"]["me"] != 2 || box.Counts["assigned"]["unassigned"] != 1 || box.Counts["due"]["overdue"] != 1 {
		t.Errorf("counts %v", box.Counts)
	}
	// The state facet counts closed cases too (choosing "closed" shows them).
	if box.Counts["state"]["closed"] != 1 || box.Counts["language"]["nl"] != 1 || box.Counts["state"]["reply_received"] != 1 {
		t.Errorf("counts %v", box.Counts)
	}
	box, _ = svc.Inbox(ctx, InboxFilter{Viewer: "h1", Assigned: AssignedUnassigned})
	if got := ids(box); len(got) != 1 || got[0] != unassigned.ID {
		t.Errorf("unassigned: %v", got)
	}
	box, _ = svc.Inbox(ctx, InboxFilter{Viewer: "coord", Due: DueOverdue})
	if got := ids(box); len(got) != 1 || got[0] != mine.ID {
		t.Errorf("overdue: %v", got)
	}
	box, _ = svc.Inbox(ctx, InboxFilter{Viewer: "coord", State: "closed"})
	if got := ids(box); len(got) != 1 || got[0] != closed.ID {
		t.Errorf("closed: %v", got)
	}
	box, _ = svc.Inbox(ctx, InboxFilter{Viewer: "coord", Category: "police", Language: "nl", Channel: "web", Kind: "complaint"})
	if got := ids(box); len(got) != 1 || got[0] != unassigned.ID {
		t.Errorf("police/nl: %v", got)
	}
	// Each facet counts what choosing its value would show, given the other filters.
	if box.Counts["category"]["police"] != 1 || box.Counts["language"]["en"] != 0 || box.Counts["language"]["nl"] != 1 {
		t.Errorf("facet counts: %v", box.Counts)
	}
	box, _ = svc.Inbox(ctx, InboxFilter{Viewer: "coord"})
	if box.Counts["category"]["business.bank"] != 3 || box.Counts["state"]["closed"] != 1 || box.Total != 4 {
		t.Errorf("coordinator counts: %v total %d", box.Counts, box.Total)
	}
}

func TestRetentionErasesExactlyNamesAndContacts(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	now := time.Now().UTC()
	old := newCase(t, svc, nil)
	recent := newCase(t, svc, nil)
	open := newCase(t, svc, nil)
	set := func(id string, m bson.M) {
		if _, err := st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": m}); err != nil {
			t.Fatal(err)
		}
	}
	set(old.ID, bson.M{"state": StateClosed, "closed_at": now.AddDate(0, 0, -400)})
	set(recent.ID, bson.M{"state": StateClosed, "closed_at": now.AddDate(0, 0, -100)})
	set(open.ID, bson.M{"created_at": now.AddDate(-2, 0, 0)})
	if _, err := svc.AddNote(ctx, old.ID, "u1", "internal"); err != nil {
		t.Fatal(err)
	}
	before, _ := svc.Get(ctx, old.ID)
	job := NewRetention(svc, st, 365, nil)
	ran, n, err := job.RunOnce(ctx)
	if err != nil || !ran || n != 1 {
		t.Fatalf("run: %v %v %d", ran, err, n)
	}
	if ran, _, _ := job.RunOnce(ctx); ran {
		t.Error("ran twice on one day")
	}
	other := NewRetention(svc, st, 365, nil)
	other.Owner = "another instance"
	if ran, _, _ := other.RunOnce(ctx); ran {
		t.Error("a second instance ran the same day")
	}
	c, _ := svc.Get(ctx, old.ID)
	if !c.Erased || c.Name != nil || c.Contact != nil {
		t.Errorf("not erased: %+v", c)
	}
	if svc.Field(c, "description") != "The bank closed my account." || svc.Field(c, "about") != "Bank X" ||
		c.Category != before.Category || c.IdentityMode != "named" || c.Outcome != before.Outcome || c.Municipality != "GM0363" || c.Region != "Amsterdam-Amstelland" {
		t.Errorf("erased too much: %+v", c)
	}
	evs, _ := svc.Timeline(ctx, old.ID)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if !slices.Contains(types, EventErased) || !slices.Contains(types, EventNote) {
		t.Errorf("timeline %v", types)
	}
	for _, id := range []string{recent.ID, open.ID} {
		c, _ := svc.Get(ctx, id)
		if c.Erased || svc.Field(c, "name") != "Anna" || svc.Field(c, "contact") != "06-12345678" {
			t.Errorf("%s erased too early", id)
		}
	}
	// A second run later erases nothing twice.
	if n, err := svc.EraseIdentities(ctx, now); err != nil || n != 1 {
		t.Errorf("recent after its time: %d %v", n, err)
	}
	if n, _ := svc.EraseIdentities(ctx, now); n != 0 {
		t.Errorf("erased again: %d", n)
	}
}
