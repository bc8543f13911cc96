package cases

import (
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
)

// TestRetentionErasesContentAfterLongerPeriod: a dry run lists what would
// go and erases nothing; the run erases names and contacts after the first
// period and all text (description, "about", messages, notes) after the
// longer one, keeps every code the reports count, and is in the audit log.
func TestRetentionErasesContentAfterLongerPeriod(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	now := time.Now().UTC()
	ancient := newCase(t, svc, nil) // closed 800 days ago: everything goes
	old := newCase(t, svc, nil)     // 400 days: name and contact go
	recent := newCase(t, svc, nil)  // 100 days: nothing goes
	for _, r := range []Result{ancient, old, recent} {
		if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Line: "We called the bank for you."}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNote(ctx, r.ID, "u1", "Bank X again"); err != nil {
			t.Fatal(err)
		}
	}
	set := func(id string, days int) {
		if _, err := st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{
			"state": StateClosed, "outcome": OutcomeResolved, "closed_at": now.AddDate(0, 0, -days)}}); err != nil {
			t.Fatal(err)
		}
	}
	set(ancient.ID, 800)
	set(old.ID, 400)
	set(recent.ID, 100)
	before, _ := svc.Get(ctx, ancient.ID)

	log := audit.New(st)
	job := NewRetention(svc, st, 365, nil)
	job.ContentAfter = 730 * 24 * time.Hour
	job.Audit = log

	due, err := job.DryRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	what := map[string]string{}
	for _, it := range due {
		what[it.Reference] = it.What
	}
	if len(due) != 2 || what[ancient.Reference] != EraseContent || what[old.Reference] != EraseIdentity {
		t.Fatalf("dry run: %+v", due)
	}
	if c, _ := svc.Get(ctx, ancient.ID); c.Erased || svc.Field(c, "description") == "" {
		t.Fatal("the dry run erased something")
	}

	ran, n, err := job.RunOnce(ctx)
	if err != nil || !ran || n != 2 {
		t.Fatalf("run: %v %d %v", ran, n, err)
	}
	c, _ := svc.Get(ctx, ancient.ID)
	if svc.Field(c, "description") != "" || svc.Field(c, "about") != "" || c.Name != nil || c.Contact != nil || !c.Erased {
		t.Errorf("ancient case keeps text: %q %q", svc.Field(c, "description"), svc.Field(c, "about"))
	}
	if c.Kind != before.Kind || c.Category != before.Category || c.Region != before.Region || c.Outcome != before.Outcome ||
		c.Channel != before.Channel || c.Wish != before.Wish || c.Setting != before.Setting {
		t.Errorf("the codes for the reports changed: %+v", c)
	}
	evs, _ := svc.Timeline(ctx, ancient.ID)
	var types []string
	for i := range evs {
		types = append(types, evs[i].Type)
		if len(evs[i].Body) != 0 {
			t.Errorf("event %s keeps its text", evs[i].Type)
		}
	}
	if !slices.Contains(types, EventContentErased) || !slices.Contains(types, EventNote) || !slices.Contains(types, EventMessage) {
		t.Errorf("timeline: %v", types)
	}
	if msgs, err := svc.Messages(ctx, ancient.ID); err != nil || len(msgs) != 0 {
		t.Errorf("her thread after the text was erased: %+v %v", msgs, err)
	}
	o, _ := svc.Get(ctx, old.ID)
	if !o.Erased || svc.Field(o, "description") == "" {
		t.Errorf("the 400-day case: erased %v, description %q", o.Erased, svc.Field(o, "description"))
	}
	oevs, _ := svc.Timeline(ctx, old.ID)
	if !slices.ContainsFunc(oevs, func(e Event) bool { return e.Type == EventNote && svc.EventBody(&e) == "Bank X again" }) {
		t.Error("the 400-day case lost its notes")
	}
	r, _ := svc.Get(ctx, recent.ID)
	if r.Erased || svc.Field(r, "name") != "Anna" {
		t.Error("the recent case was erased")
	}
	// The run is in the audit log, with what it erased.
	runs, err := log.List(ctx, audit.Filter{Action: audit.RetentionRun})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range runs {
		counts[e.Target] += e.Count
		if e.UserID != ActorSystem {
			t.Errorf("run by %q", e.UserID)
		}
	}
	if len(runs) != 2 || counts[EraseContent] != 1 || counts[EraseIdentity] != 1 {
		t.Errorf("audited runs: %+v", runs)
	}
	// Nothing left: the next dry run is empty.
	if due, _ := job.DryRun(ctx); len(due) != 0 {
		t.Errorf("after the run: %+v", due)
	}
}
