package cases

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/workdays"
)

// allowedTransitions is the expected table, written out independently of
// the transitions map in workflow.go.
var allowedTransitions = []string{
	"received>triage", "received>reply_received",

	"triage>listening", "triage>advice", "triage>intervention", "triage>mediation",
	"triage>investigation", "triage>referred", "triage>declined", "triage>reply_received",

	"listening>advice", "listening>intervention", "listening>mediation", "listening>investigation", "listening>referred", "listening>declined", "listening>feedback", "listening>waiting_for_reply", "listening>reply_received",
	"advice>listening", "advice>intervention", "advice>mediation", "advice>investigation", "advice>referred", "advice>declined", "advice>feedback", "advice>waiting_for_reply", "advice>reply_received",
	"intervention>listening", "intervention>advice", "intervention>mediation", "intervention>investigation", "intervention>referred", "intervention>declined", "intervention>feedback", "intervention>waiting_for_reply", "intervention>reply_received",
	"mediation>listening", "mediation>advice", "mediation>intervention", "mediation>investigation", "mediation>referred", "mediation>declined", "mediation>feedback", "mediation>waiting_for_reply", "mediation>reply_received",
	"investigation>listening", "investigation>advice", "investigation>intervention", "investigation>mediation", "investigation>referred", "investigation>declined", "investigation>feedback", "investigation>waiting_for_reply", "investigation>reply_received",
	"referred>listening", "referred>advice", "referred>intervention", "referred>mediation", "referred>investigation", "referred>declined", "referred>feedback", "referred>waiting_for_reply", "referred>reply_received",
	"declined>listening", "declined>advice", "declined>intervention", "declined>mediation", "declined>investigation", "declined>referred", "declined>feedback", "declined>waiting_for_reply", "declined>reply_received",

	"waiting_for_reply>reply_received", "waiting_for_reply>feedback",

	"reply_received>triage",
	"reply_received>listening", "reply_received>advice", "reply_received>intervention", "reply_received>mediation",
	"reply_received>investigation", "reply_received>referred", "reply_received>declined",
	"reply_received>feedback", "reply_received>waiting_for_reply",

	"feedback>closed", "feedback>waiting_for_reply", "feedback>reply_received",

	"closed>reopen_requested",

	"reopen_requested>reopened", "reopen_requested>closed",

	"reopened>triage",
	"reopened>listening", "reopened>advice", "reopened>intervention", "reopened>mediation",
	"reopened>investigation", "reopened>referred", "reopened>declined",
	"reopened>reply_received",
}

func TestWorkflowStates(t *testing.T) {
	want := []string{"received", "triage", "listening", "advice", "intervention", "mediation",
		"investigation", "referred", "declined", "feedback", "closed", "waiting_for_reply",
		"reply_received", "reopen_requested", "reopened"}
	if len(AllStates) != len(want) {
		t.Fatalf("AllStates has %d states, want %d", len(AllStates), len(want))
	}
	for i, s := range AllStates {
		if string(s) != want[i] {
			t.Errorf("AllStates[%d] = %q, want %q", i, s, want[i])
		}
		if !s.Valid() {
			t.Errorf("%q not Valid", s)
		}
		if s.Open() != (s != StateClosed) {
			t.Errorf("%q Open() = %v", s, s.Open())
		}
		wantRoute := i >= 2 && i <= 8
		if s.IsRoute() != wantRoute {
			t.Errorf("%q IsRoute() = %v, want %v", s, s.IsRoute(), wantRoute)
		}
	}
	if State("").Valid() || State("bogus").Valid() || State("bogus").IsRoute() {
		t.Error("unknown state reported valid or a route")
	}
	if !slices.Equal(Routes, AllStates[2:9]) {
		t.Errorf("Routes = %v", Routes)
	}
}

func TestWorkflowTransitionsEveryPair(t *testing.T) {
	allowed := map[string]bool{}
	for _, k := range allowedTransitions {
		if allowed[k] {
			t.Fatalf("duplicate expected transition %s", k)
		}
		allowed[k] = true
	}
	seen := 0
	for _, from := range AllStates {
		for _, to := range AllStates {
			key := string(from) + ">" + string(to)
			want := allowed[key]
			if want {
				seen++
			}
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s) = %v, want %v", key, got, want)
			}
			err := CheckTransition(from, to)
			if want && err != nil {
				t.Errorf("CheckTransition(%s) = %v", key, err)
			}
			if !want && !errors.Is(err, ErrTransition) {
				t.Errorf("CheckTransition(%s) = %v, want ErrTransition", key, err)
			}
		}
	}
	if seen != len(allowed) {
		t.Errorf("expected table names %d transitions, only %d are between known states", len(allowed), seen)
	}
	// The table mentions only known states.
	for from, tos := range transitions {
		if !from.Valid() {
			t.Errorf("transitions has unknown from %q", from)
		}
		for _, to := range tos {
			if !to.Valid() {
				t.Errorf("transitions %q has unknown to %q", from, to)
			}
		}
	}
	if CanTransition("bogus", StateTriage) || CanTransition(StateTriage, "bogus") {
		t.Error("unknown states must not transition")
	}
}

func TestWorkflowTransitionRules(t *testing.T) {
	// Nothing leaves closed except a reopen request.
	if got := NextStates(StateClosed); !slices.Equal(got, []State{StateReopenRequested}) {
		t.Errorf("NextStates(closed) = %v", got)
	}
	// Declined only from triage or another route (or after her reply / a reopen,
	// where the route is chosen again); never straight from received.
	for _, from := range AllStates {
		if !CanTransition(from, StateDeclined) {
			continue
		}
		if !(from == StateTriage || from.IsRoute() || from == StateReplyReceived || from == StateReopened) {
			t.Errorf("declined reachable from %s", from)
		}
	}
	// Every open working state flips to reply_received on her message.
	for _, s := range append([]State{StateReceived, StateTriage, StateFeedback, StateWaitingForReply, StateReopened}, Routes...) {
		if !CanTransition(s, StateReplyReceived) {
			t.Errorf("%s cannot flip to reply_received", s)
		}
	}
	// No state moves to itself.
	for _, s := range AllStates {
		if CanTransition(s, s) {
			t.Errorf("%s -> %s allowed", s, s)
		}
	}
	// Every state can eventually reach closed (nothing gets stuck).
	for _, s := range AllStates {
		seen := map[State]bool{s: true}
		queue := []State{s}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, n := range NextStates(cur) {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		if !seen[StateClosed] {
			t.Errorf("%s cannot reach closed", s)
		}
	}
}

func TestWorkflowNextStatesOrder(t *testing.T) {
	want := []State{StateTriage, StateListening, StateAdvice, StateIntervention, StateMediation,
		StateInvestigation, StateReferred, StateDeclined, StateFeedback, StateWaitingForReply}
	if got := NextStates(StateReplyReceived); !slices.Equal(got, want) {
		t.Errorf("NextStates(reply_received) = %v, want %v", got, want)
	}
	want = []State{StateListening, StateIntervention, StateMediation, StateInvestigation,
		StateReferred, StateDeclined, StateFeedback, StateWaitingForReply, StateReplyReceived}
	if got := NextStates(StateAdvice); !slices.Equal(got, want) {
		t.Errorf("NextStates(advice) = %v, want %v", got, want)
	}
	if got := NextStates("bogus"); got == nil || len(got) != 0 {
		t.Errorf("NextStates(bogus) = %#v, want empty non-nil", got)
	}
	for _, s := range AllStates {
		next := NextStates(s)
		for i := 1; i < len(next); i++ {
			if slices.Index(AllStates, next[i-1]) >= slices.Index(AllStates, next[i]) {
				t.Errorf("NextStates(%s) not in AllStates order: %v", s, next)
			}
		}
	}
}

func TestWorkflowOutcomes(t *testing.T) {
	want := []Outcome{"resolved", "partly_resolved", "unfounded", "not_possible", "withdrawn", "outside_remit"}
	if !slices.Equal(Outcomes, want) {
		t.Errorf("Outcomes = %v", Outcomes)
	}
	for _, o := range Outcomes {
		if !o.Valid() {
			t.Errorf("%q not valid", o)
		}
		err := CheckClose(o, false)
		if o == OutcomeUnfounded {
			if !errors.Is(err, ErrExplanationRequired) {
				t.Errorf("CheckClose(unfounded, false) = %v", err)
			}
		} else if err != nil {
			t.Errorf("CheckClose(%s, false) = %v", o, err)
		}
		if err := CheckClose(o, true); err != nil {
			t.Errorf("CheckClose(%s, true) = %v", o, err)
		}
	}
	if Outcome("").Valid() || Outcome("solved").Valid() {
		t.Error("unknown outcome valid")
	}
	if err := CheckClose("", true); !errors.Is(err, ErrOutcomeRequired) {
		t.Errorf("CheckClose(\"\") = %v", err)
	}
	if err := CheckClose("solved", true); !errors.Is(err, ErrOutcomeInvalid) {
		t.Errorf("CheckClose(solved) = %v", err)
	}
}

func wfAt(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, workdays.Amsterdam)
}

func wfEndOfDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, workdays.Amsterdam)
}

func TestDeadlinesCompute(t *testing.T) {
	cases := []struct {
		name               string
		received           time.Time
		ack, route, answer time.Time
		extended           time.Time
	}{
		{
			// Thu 2 Apr 2026: ack skips Easter weekend and Easter Monday (Good
			// Friday is a working day); answer lands on Ascension (Thu 14 May).
			name: "Easter 2026", received: wfAt(2026, time.April, 2, 10),
			ack: wfEndOfDay(2026, time.April, 10), route: wfEndOfDay(2026, time.April, 23),
			answer: wfEndOfDay(2026, time.May, 15), extended: wfEndOfDay(2026, time.June, 12),
		},
		{
			// Mon 16 Mar 2026: route lands on Easter Monday 6 Apr, answer on
			// King's Day Mon 27 Apr 2026.
			name: "Easter Monday and King's Day 2026", received: wfAt(2026, time.March, 16, 9),
			ack: wfEndOfDay(2026, time.March, 23), route: wfEndOfDay(2026, time.April, 7),
			answer: wfEndOfDay(2026, time.April, 28), extended: wfEndOfDay(2026, time.May, 26),
		},
		{
			// Sat 5 Apr 2025: route lands on Sat 26 Apr, King's Day (27 April
			// 2025 is a Sunday) -> Mon 28 Apr.
			name: "King's Day on a Sunday 2025 (route)", received: wfAt(2025, time.April, 5, 12),
			ack: wfEndOfDay(2025, time.April, 11), route: wfEndOfDay(2025, time.April, 28),
			answer: wfEndOfDay(2025, time.May, 19), extended: wfEndOfDay(2025, time.June, 16),
		},
		{
			// Thu 24 Apr 2025: ack runs over King's Day (Sat 26) and Sun 27.
			name: "King's Day on a Sunday 2025 (ack)", received: wfAt(2025, time.April, 24, 15),
			ack: wfEndOfDay(2025, time.May, 1), route: wfEndOfDay(2025, time.May, 15),
			answer: wfEndOfDay(2025, time.June, 5), extended: wfEndOfDay(2025, time.July, 3),
		},
		{
			// Thu 24 Dec 2026: ack skips Christmas, Boxing Day (Sat), the
			// weekend and New Year's Day.
			name: "Christmas 2026 (ack)", received: wfAt(2026, time.December, 24, 16),
			ack: wfEndOfDay(2027, time.January, 4), route: wfEndOfDay(2027, time.January, 14),
			answer: wfEndOfDay(2027, time.February, 4), extended: wfEndOfDay(2027, time.March, 4),
		},
		{
			// Fri 13 Nov 2026: answer lands on Christmas Day Fri 25 Dec -> Mon 28 Dec.
			name: "Christmas 2026 (answer)", received: wfAt(2026, time.November, 13, 11),
			ack: wfEndOfDay(2026, time.November, 20), route: wfEndOfDay(2026, time.December, 4),
			answer: wfEndOfDay(2026, time.December, 28), extended: wfEndOfDay(2027, time.January, 25),
		},
		{
			// Fri 16 Oct 2026: the extension lands on Christmas Day -> Mon 28 Dec.
			name: "Christmas 2026 (extension)", received: wfAt(2026, time.October, 16, 11),
			ack: wfEndOfDay(2026, time.October, 23), route: wfEndOfDay(2026, time.November, 6),
			answer: wfEndOfDay(2026, time.November, 27), extended: wfEndOfDay(2026, time.December, 28),
		},
	}
	for _, c := range cases {
		d := ComputeDeadlines(c.received)
		if !d.Ack.Equal(c.ack) || !d.Route.Equal(c.route) || !d.Answer.Equal(c.answer) || d.Extended {
			t.Errorf("%s: ComputeDeadlines = ack %v route %v answer %v extended %v; want %v %v %v",
				c.name, d.Ack, d.Route, d.Answer, d.Extended, c.ack, c.route, c.answer)
		}
		e, err := d.Extend()
		if err != nil || !e.Answer.Equal(c.extended) || !e.Extended {
			t.Errorf("%s: Extend = %v (extended %v), %v; want %v", c.name, e.Answer, e.Extended, err, c.extended)
		}
		if !e.Ack.Equal(d.Ack) || !e.Route.Equal(d.Route) {
			t.Errorf("%s: Extend changed ack or route", c.name)
		}
	}
}

func TestDeadlinesExtendOnce(t *testing.T) {
	d := ComputeDeadlines(wfAt(2026, time.April, 2, 10))
	e, err := d.Extend()
	if err != nil {
		t.Fatal(err)
	}
	if d.Extended || !d.Answer.Equal(wfEndOfDay(2026, time.May, 15)) {
		t.Error("Extend changed its receiver")
	}
	e2, err := e.Extend()
	if !errors.Is(err, ErrAlreadyExtended) {
		t.Errorf("second Extend err = %v, want ErrAlreadyExtended", err)
	}
	if !e2.Answer.Equal(e.Answer) || !e2.Extended {
		t.Errorf("second Extend moved the deadline: %v", e2.Answer)
	}
	if _, err := (Deadlines{}).Extend(); !errors.Is(err, ErrNoDeadline) {
		t.Errorf("Extend on zero deadlines = %v", err)
	}
}

func TestDeadlinesNext(t *testing.T) {
	d := ComputeDeadlines(wfAt(2026, time.April, 2, 10)) // ack 10 Apr, route 23 Apr, answer 15 May
	early := wfAt(2026, time.April, 3, 9)
	late := wfAt(2026, time.April, 20, 9)
	cases := []struct {
		st      State
		now     time.Time
		what    string
		due     time.Time
		overdue bool
	}{
		{StateReceived, early, DeadlineAck, d.Ack, false},
		{StateReceived, late, DeadlineAck, d.Ack, true},
		{StateTriage, late, DeadlineRoute, d.Route, false},
		{StateTriage, wfAt(2026, time.April, 24, 0), DeadlineRoute, d.Route, true},
		{StateReopened, late, DeadlineRoute, d.Route, false},
		{StateAdvice, late, DeadlineAnswer, d.Answer, false},
		{StateDeclined, late, DeadlineAnswer, d.Answer, false},
		{StateWaitingForReply, wfAt(2026, time.May, 16, 0), DeadlineAnswer, d.Answer, true},
		{StateReplyReceived, late, DeadlineAnswer, d.Answer, false},
		{StateFeedback, late, "", time.Time{}, false},
		{StateClosed, wfAt(2027, time.January, 1, 0), "", time.Time{}, false},
		{StateReopenRequested, late, "", time.Time{}, false},
	}
	for _, c := range cases {
		what, due, overdue := d.Next(c.now, c.st)
		if what != c.what || !due.Equal(c.due) || overdue != c.overdue {
			t.Errorf("Next(%v, %s) = %q %v %v; want %q %v %v", c.now, c.st, what, due, overdue, c.what, c.due, c.overdue)
		}
	}
	// Due at 23:59:59 on the day: not overdue during that day.
	if _, _, overdue := d.Next(wfAt(2026, time.April, 10, 23), StateReceived); overdue {
		t.Error("ack overdue during its last day")
	}
	// Without an ack deadline a received case shows the route one.
	if what, _, _ := (Deadlines{Route: d.Route}).Next(early, StateReceived); what != DeadlineRoute {
		t.Errorf("Next without ack = %q, want route", what)
	}
	if what, due, _ := (Deadlines{}).Next(early, StateAdvice); what != "" || !due.IsZero() {
		t.Errorf("Next on zero deadlines = %q %v", what, due)
	}
}
