package cases

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The desk's promises to her: each test here pins one, so a change that
// breaks a promise fails here.

// pushNotes records what staff are told, including the optional events.
type pushNotes struct {
	notes
	assigned    []string // caseID/userID
	closedReply []string
	replies     []string
}

func (n *pushNotes) ReplyReceived(_ context.Context, id, _ string) error {
	n.replies = append(n.replies, id)
	return nil
}

func (n *pushNotes) CaseAssigned(_ context.Context, id, user string) error {
	n.assigned = append(n.assigned, id+"/"+user)
	return nil
}

func (n *pushNotes) ClosedReplyReceived(_ context.Context, id, _ string) error {
	n.closedReply = append(n.closedReply, id)
	return nil
}

// TestPromiseFeedbackNeedsTheAnswer: no route and no outcome reaches
// feedback or closed with only the automatic acknowledgement.
func TestPromiseFeedbackNeedsTheAnswer(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	for _, route := range Routes {
		r := newCase(t, svc, nil)
		if _, err := svc.Transition(ctx, r.ID, "u1", StateTriage, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Transition(ctx, r.ID, "u1", route, "reasons"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Transition(ctx, r.ID, "u1", StateFeedback, ""); !errors.Is(err, ErrAnswerRequired) {
			t.Fatalf("%s -> feedback without an answer: %v", route, err)
		}
		// A plain message is not the answer.
		if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Line: "We are looking into it."}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Transition(ctx, r.ID, "u1", StateFeedback, ""); !errors.Is(err, ErrAnswerRequired) {
			t.Fatalf("%s -> feedback after a plain message: %v", route, err)
		}
		if c, _ := svc.Get(ctx, r.ID); c.State != route {
			t.Fatalf("%s: state moved to %s", route, c.State)
		}
	}
	// Every outcome, also when the state was set around the service.
	for _, o := range Outcomes {
		r := newCase(t, svc, nil)
		forceState(t, svc.st, r.ID, StateFeedback)
		if _, err := svc.Close(ctx, r.ID, "u1", o); err == nil {
			t.Errorf("closed as %s with only the acknowledgement", o)
		}
		sendAnswer(t, svc, r.ID)
		if c, err := svc.Close(ctx, r.ID, "u1", o); err != nil || c.State != StateClosed {
			t.Errorf("close as %s after the answer: %v", o, err)
		}
	}
	// The common path's last step: the answer and the closing at once.
	r := newCase(t, svc, nil)
	if _, err := svc.Transition(ctx, r.ID, "u1", StateTriage, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, r.ID, "u1", StateDeclined, "Not ours."); err != nil {
		t.Fatal(err)
	}
	c, err := svc.AnswerAndClose(ctx, r.ID, "u1", Outgoing{Line: "This is outside what we do, because..."}, OutcomeOutsideRemit)
	if err != nil || c.State != StateClosed || c.Outcome != OutcomeOutsideRemit {
		t.Fatalf("answer and close: %v %+v", err, c)
	}
	if sent, _ := svc.ExplanationSent(ctx, r.ID); !sent {
		t.Error("the answer was not marked as the answer")
	}
}

// TestPromiseReplyOnClosedCaseSurfaces: her message on a closed case is
// marked new, shown in the inbox (also the default one, which hides
// closed cases), told to the handler and coordinators, and can reopen it.
func TestPromiseReplyOnClosedCaseSurfaces(t *testing.T) {
	n := &pushNotes{}
	svc, st := newTestServiceNotifying(t, n)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if _, err := svc.Assign(ctx, r.ID, "coord", "h1"); err != nil {
		t.Fatal(err)
	}
	sendAnswer(t, svc, r.ID)
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Close(ctx, r.ID, "h1", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reply(ctx, r.Receipt, "It started again."); err != nil {
		t.Fatal(err)
	}
	c, _ := svc.Get(ctx, r.ID)
	if c.State != StateClosed || !c.NewReply {
		t.Fatalf("after her message: state %s, new %v", c.State, c.NewReply)
	}
	if len(n.closedReply) != 1 || n.closedReply[0] != r.ID {
		t.Errorf("handler and coordinators not told: %v", n.closedReply)
	}
	box, err := svc.Inbox(ctx, InboxFilter{Viewer: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(box.Items) == 0 || box.Items[0].Case.ID != r.ID || !box.Items[0].Waiting {
		t.Fatalf("the closed case with her message is not on top of the inbox: %+v", box.Items)
	}
	c, err = svc.ReopenAfterReply(ctx, r.ID, "coord")
	if err != nil || c.State != StateReopened || c.NewReply || c.Outcome != "" {
		t.Fatalf("reopen after her message: %v %+v", err, c)
	}
	if _, err := svc.ReopenAfterReply(ctx, r.ID, "coord"); !errors.Is(err, ErrNoNewReply) {
		t.Errorf("reopen twice: %v", err)
	}
	// After the answer (feedback) her message moves the case and is new too;
	// the desk's next message clears the marker.
	r2 := newCase(t, svc, nil)
	sendAnswer(t, svc, r2.ID)
	forceState(t, st, r2.ID, StateFeedback)
	if _, err := svc.Reply(ctx, r2.Receipt, "Thanks, but one more thing."); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.Get(ctx, r2.ID); c.State != StateReplyReceived || !c.NewReply {
		t.Errorf("reply after the answer: %s %v", c.State, c.NewReply)
	}
	if _, err := svc.SendMessage(ctx, r2.ID, "h1", Outgoing{Line: "Tell me more."}); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.Get(ctx, r2.ID); c.NewReply {
		t.Error("marker stays after the desk answered")
	}
}

// TestPromiseNoFalseOverdueAck: the acknowledgement is sent at intake, so
// its deadline never shows as overdue; the next deadline is the route's.
func TestPromiseNoFalseOverdueAck(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	// Ten days later, still received: the ack deadline has passed.
	later := time.Now().Add(10 * 24 * time.Hour)
	svc.now = func() time.Time { return later }
	box, err := svc.Inbox(ctx, InboxFilter{Viewer: "coord"})
	if err != nil {
		t.Fatal(err)
	}
	if len(box.Items) != 1 {
		t.Fatalf("%d items", len(box.Items))
	}
	it := box.Items[0]
	if it.Overdue || it.Deadline != DeadlineRoute {
		t.Errorf("inbox shows %s (overdue %v); want the route deadline, not overdue", it.Deadline, it.Overdue)
	}
	if box.Counts["due"][DueOverdue] != 0 {
		t.Errorf("counted overdue: %v", box.Counts["due"])
	}
	c, _ := svc.Get(ctx, r.ID)
	if c.Deadlines.AckSent.IsZero() {
		t.Error("the acknowledgement's sending is not recorded")
	}
}

// TestPromiseNoExtendOnClosedCase: a closed or answered case, or one
// whose answer deadline passed, cannot be extended.
func TestPromiseNoExtendOnClosedCase(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	sendAnswer(t, svc, r.ID)
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Extend(ctx, r.ID, "u1", ""); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("extend in feedback: %v", err)
	}
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Extend(ctx, r.ID, "u1", ""); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("extend a closed case: %v", err)
	}
	late := newCase(t, svc, nil)
	forceState(t, st, late.ID, StateAdvice)
	c, _ := svc.Get(ctx, late.ID)
	svc.now = func() time.Time { return c.Deadlines.Answer.Add(time.Hour) }
	if _, err := svc.Extend(ctx, late.ID, "u1", ""); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("extend after the deadline: %v", err)
	}
	if c, _ := svc.Get(ctx, late.ID); c.Deadlines.Extended {
		t.Error("extended anyway")
	}
}

// TestPromiseRefusedReopenTellsHer: keeping a case closed needs reasons,
// and she reads them.
func TestPromiseRefusedReopenTellsHer(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	sendAnswer(t, svc, r.ID)
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.Close(ctx, r.ID, "u1", OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordHeard(ctx, r.Receipt, false, "Nobody called me."); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, r.ID, "coord", StateClosed, " "); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("refuse without reasons: %v", err)
	}
	const why = "We called twice and wrote to you; the bank has reopened your account."
	if _, err := svc.Transition(ctx, r.ID, "coord", StateClosed, why); err != nil {
		t.Fatal(err)
	}
	msgs, _ := svc.Messages(ctx, r.ID)
	if last := msgs[len(msgs)-1]; last.From != "desk" || last.Body != why {
		t.Errorf("her last message: %+v", last)
	}
}

// TestPromiseAssignedHandlerIsTold: the handler a case is given to hears
// of it; taking a case oneself sends nothing.
func TestPromiseAssignedHandlerIsTold(t *testing.T) {
	n := &pushNotes{}
	svc, _ := newTestServiceNotifying(t, n)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if _, err := svc.Assign(ctx, r.ID, "coord", "h1"); err != nil {
		t.Fatal(err)
	}
	r2 := newCase(t, svc, nil)
	if _, err := svc.Assign(ctx, r2.ID, "h2", "h2"); err != nil {
		t.Fatal(err)
	}
	if len(n.assigned) != 1 || n.assigned[0] != r.ID+"/h1" {
		t.Errorf("told of assignments: %v", n.assigned)
	}
}

// TestPromiseReportOnly: a professional's report for reports only keeps
// no name, runs no deadlines, and closes without an answer to anyone.
func TestPromiseReportOnly(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	in := Input{Kind: "complaint", Category: "business.bank", Description: "Several women told me the bank refuses them.",
		Municipality: "Amsterdam", Wish: "heard", Language: "nl", Reporter: "professional", ReportOnly: true,
		Identity: Identity{Mode: "named", Name: "Anna"}}
	if _, err := svc.Create(ctx, in, ChannelWeb); err == nil {
		t.Fatal("a report for reports only took a name")
	}
	in.Identity = Identity{Mode: "anonymous"}
	r, err := svc.Create(ctx, in, ChannelWeb)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := svc.Get(ctx, r.ID)
	if !c.ReportOnly || svc.Field(c, "name") != "" {
		t.Fatalf("stored %+v", c)
	}
	if what, _, _ := c.Deadlines.Next(time.Now().Add(100*24*time.Hour), c.State); what != "" {
		t.Errorf("a deadline runs: %s", what)
	}
	if c, err = svc.Close(ctx, r.ID, "coord", OutcomeResolved); err != nil || c.State != StateClosed {
		t.Errorf("close a report: %v", err)
	}
}

// TestPromiseNoFalseOverdueAckForEarlierCases: cases stored before the
// acknowledgement's sending was recorded get it from their creation.
func TestPromiseNoFalseOverdueAckForEarlierCases(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil)
	if _, err := st.C(collectionCases).UpdateOne(ctx, map[string]any{"_id": r.ID},
		map[string]any{"$unset": map[string]any{"deadlines.ack_sent": ""}}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.MarkAcknowledged(ctx); err != nil || n != 1 {
		t.Fatalf("marked %d: %v", n, err)
	}
	if n, _ := svc.MarkAcknowledged(ctx); n != 0 {
		t.Errorf("marked again: %d", n)
	}
	svc.now = func() time.Time { return time.Now().Add(10 * 24 * time.Hour) }
	box, err := svc.Inbox(ctx, InboxFilter{Viewer: "coord"})
	if err != nil || len(box.Items) != 1 || box.Items[0].Overdue {
		t.Fatalf("inbox: %v %+v", err, box.Items)
	}
}
