package push_test

import (
	"slices"
	"testing"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
)

// TestAssignedAndClosedReplyRecipients: the handler a case is given to
// hears of it, nobody else; her message on a closed case reaches the
// handler and the coordinators.
func TestAssignedAndClosedReplyRecipients(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	coord := subscribe(t, p, "coord")
	hand1 := subscribe(t, p, "hand1")
	hand2 := subscribe(t, p, "hand2")
	if err := p.CaseAssigned(ctx, "case-a", "hand1"); err != nil {
		t.Fatal(err)
	}
	if err := p.ClosedReplyReceived(ctx, "case-b", "hand2"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	noErrors(t, coord, hand1, hand2)
	if d := hand1.Delivered(); len(d) != 1 || payload(t, d[0]) != (push.Payload{Type: push.TypeCaseAssigned, ID: "case-a", Lang: "en"}) {
		t.Errorf("hand1 got %d: %+v", len(d), d)
	}
	if d := hand2.Delivered(); len(d) != 1 || payload(t, d[0]).Type != push.TypeCaseClosedReply {
		t.Errorf("hand2 got %d: %+v", len(d), d)
	}
	if d := coord.Delivered(); len(d) != 1 || payload(t, d[0]).Type != push.TypeCaseClosedReply {
		t.Errorf("coordinator got %d: %+v", len(d), d)
	}
}

// TestCasesCreatedTogether: new cases of one sync are queued together,
// one job per case and device in one insert, and each device is told of
// each case once, even when told again.
func TestCasesCreatedTogether(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	coord := subscribe(t, p, "coord")
	other := subscribe(t, p, "coord") // her second device
	ids := []string{"case-1", "case-2", "case-3"}
	inserts := e.st.Commands()["insert"]
	if err := p.CasesCreated(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if n := e.st.Commands()["insert"] - inserts; n != 1 {
		t.Errorf("%d inserts for the jobs of %d cases, want one", n, len(ids))
	}
	if err := p.CasesCreated(ctx, ids[1:]); err != nil { // told again after a crash
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	noErrors(t, coord, other)
	for _, s := range []*pushtest.Subscriber{coord, other} {
		var got []string
		for _, d := range s.Delivered() {
			got = append(got, payload(t, d).ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			t.Errorf("a device was told of %v, want each new case once: %v", got, ids)
		}
	}
}
