package cases

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestStepsAreKeptOnTheCase: the first route, the reasoned answer and her
// "felt heard" answer are kept on the case at the times the timeline has
// them, and KeepSteps fills them in for cases stored before.
func TestStepsAreKeptOnTheCase(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	for _, to := range []State{StateTriage, StateAdvice, StateIntervention} {
		if _, err := svc.Transition(ctx, r.ID, "u", to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SendMessage(ctx, r.ID, "u", Outgoing{Line: "Our answer.", Answer: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, r.ID, "u", StateFeedback, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, r.ID, "u", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordHeardCase(ctx, r.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	evs, err := svc.Timeline(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var routed, answered, heard []time.Time
	for _, e := range evs {
		switch {
		case e.Type == EventState && e.To.IsRoute():
			routed = append(routed, e.At)
		case e.Type == EventMessage && e.Data["answer"] == "1":
			answered = append(answered, e.At)
		case e.Type == EventHeard:
			heard = append(heard, e.At)
		}
	}
	if len(routed) != 2 || len(answered) != 1 || len(heard) != 1 {
		t.Fatalf("timeline: %d routes, %d answers, %d heard", len(routed), len(answered), len(heard))
	}
	near := func(a, b time.Time) bool { return a.Equal(b) } // the case keeps the event's own time
	check := func(when string) {
		t.Helper()
		c, err := svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Steps != 1 || !near(c.RoutedAt, routed[0]) || !near(c.AnsweredAt, answered[0]) || !near(c.HeardAt, heard[0]) {
			t.Errorf("%s: steps %d, routed %v (first route %v), answered %v (%v), heard %v (%v)", when, c.Steps,
				c.RoutedAt, routed[0], c.AnsweredAt, answered[0], c.HeardAt, heard[0])
		}
	}
	check("kept on the way")
	// A case from before: KeepSteps reads them from its timeline, once.
	if _, err := st.C(collectionCases).UpdateOne(ctx, bson.M{"_id": r.ID},
		bson.M{"$unset": bson.M{"steps": "", "routed_at": "", "answered_at": "", "heard_at": ""}}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.KeepSteps(ctx); err != nil || n != 1 {
		t.Fatalf("KeepSteps: %d, %v", n, err)
	}
	check("filled in")
	if n, err := svc.KeepSteps(ctx); err != nil || n != 0 {
		t.Fatalf("KeepSteps again: %d, %v", n, err)
	}
}
