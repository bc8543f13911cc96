package push_test

import (
	"testing"

	"github.com/gehoord/gehoord/server/push"
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
