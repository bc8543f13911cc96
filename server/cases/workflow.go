package cases

import (
	"fmt"
	"time"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/workdays"
)

// State is where a case stands in the desk's workflow.
type State string

// The states of a case; the transitions between them are below.
const (
	StateReceived        State = "received"
	StateTriage          State = "triage"
	StateListening       State = "listening"     // route: heard; nothing more wanted
	StateAdvice          State = "advice"        // route: help to complain herself
	StateIntervention    State = "intervention"  // route: quick fix, often a call
	StateMediation       State = "mediation"     // route
	StateInvestigation   State = "investigation" // route
	StateReferred        State = "referred"      // route: handed warmly to a local organisation
	StateDeclined        State = "declined"      // route: outside the remit, with reasons
	StateFeedback        State = "feedback"      // the reasoned answer is sent
	StateClosed          State = "closed"
	StateWaitingForReply State = "waiting_for_reply"
	StateReplyReceived   State = "reply_received"
	StateReopenRequested State = "reopen_requested"
	StateReopened        State = "reopened"
)

// AllStates lists every state in workflow order (the order the UI shows).
var AllStates = []State{
	StateReceived, StateTriage,
	StateListening, StateAdvice, StateIntervention, StateMediation,
	StateInvestigation, StateReferred, StateDeclined,
	StateFeedback, StateClosed,
	StateWaitingForReply, StateReplyReceived,
	StateReopenRequested, StateReopened,
}

// Routes are the states that say how the desk handles a case; one is chosen
// explicitly at triage and may be changed later.
var Routes = []State{
	StateListening, StateAdvice, StateIntervention, StateMediation,
	StateInvestigation, StateReferred, StateDeclined,
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return stateIndex(s) >= 0 }

// IsRoute reports whether s is one of the Routes.
func (s State) IsRoute() bool {
	for _, r := range Routes {
		if s == r {
			return true
		}
	}
	return false
}

// Open reports whether the case is not closed.
func (s State) Open() bool { return s != StateClosed }

func stateIndex(s State) int {
	for i, x := range AllStates {
		if x == s {
			return i
		}
	}
	return -1
}

// routesExcept returns Routes without s (a route can change into another one,
// not into itself).
func routesExcept(s State) []State {
	out := make([]State, 0, len(Routes))
	for _, r := range Routes {
		if r != s {
			out = append(out, r)
		}
	}
	return out
}

func join(parts ...[]State) []State {
	var out []State
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func routeTransitions(r State) []State {
	return join(routesExcept(r), []State{StateFeedback, StateWaitingForReply, StateReplyReceived})
}

// transitions is the table of allowed state changes (from -> to), as Signalen's
// workflow.py keeps one. Anything not listed is forbidden.
//
//   - received -> triage; the route is always chosen at triage, so declined
//     (like every route) is never reached straight from received.
//   - triage -> any route.
//   - a route -> another route (advice can turn into intervention, …),
//     -> feedback (the reasoned answer is sent), -> waiting_for_reply.
//   - waiting_for_reply -> reply_received (she answered) or -> feedback (she
//     did not, and the desk answers and closes anyway, e.g. as withdrawn;
//     without this a silent complainant would leave the case stuck).
//   - reply_received -> triage, any route, feedback, waiting_for_reply.
//   - every open working state (received, triage, the routes, feedback,
//     waiting_for_reply, reopened) -> reply_received: her message flips it.
//   - feedback -> closed (with an outcome, see CheckClose), or back to
//     waiting_for_reply / reply_received.
//   - closed -> reopen_requested only ("I did not feel heard");
//     reopen_requested -> reopened or back to closed (the coordinator decides);
//     reopened -> triage or any route.
var transitions = map[State][]State{
	StateReceived: {StateTriage, StateReplyReceived},
	StateTriage:   join(Routes, []State{StateReplyReceived}),

	StateListening:     routeTransitions(StateListening),
	StateAdvice:        routeTransitions(StateAdvice),
	StateIntervention:  routeTransitions(StateIntervention),
	StateMediation:     routeTransitions(StateMediation),
	StateInvestigation: routeTransitions(StateInvestigation),
	StateReferred:      routeTransitions(StateReferred),
	StateDeclined:      routeTransitions(StateDeclined),

	StateWaitingForReply: {StateReplyReceived, StateFeedback},
	StateReplyReceived:   join([]State{StateTriage}, Routes, []State{StateFeedback, StateWaitingForReply}),
	StateFeedback:        {StateClosed, StateWaitingForReply, StateReplyReceived},

	StateClosed:          {StateReopenRequested},
	StateReopenRequested: {StateReopened, StateClosed},
	StateReopened:        join([]State{StateTriage}, Routes, []State{StateReplyReceived}),
}

// CanTransition reports whether a case may move from one state to another.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// CheckTransition returns nil when from -> to is allowed, otherwise an error
// wrapping ErrTransition.
func CheckTransition(from, to State) error {
	if CanTransition(from, to) {
		return nil
	}
	return fmt.Errorf("%w: %s -> %s", ErrTransition, from, to)
}

// NextStates returns the states a case in from may move to, in AllStates
// order (for the UI). Unknown states have none.
func NextStates(from State) []State {
	out := []State{}
	for _, s := range AllStates {
		if CanTransition(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// Outcome is how a closed case ended.
type Outcome string

// The outcomes a case can be closed with.
const (
	OutcomeResolved       Outcome = "resolved"
	OutcomePartlyResolved Outcome = "partly_resolved"
	OutcomeUnfounded      Outcome = "unfounded" // only with the explanation sent to her
	OutcomeNotPossible    Outcome = "not_possible"
	OutcomeWithdrawn      Outcome = "withdrawn"
	// OutcomeOutsideRemit: declined, the matter is outside the desk's
	// remit (the reasons are in the answer sent to her).
	OutcomeOutsideRemit Outcome = "outside_remit"
)

// Outcomes lists every outcome in display order.
var Outcomes = []Outcome{
	OutcomeResolved, OutcomePartlyResolved, OutcomeUnfounded, OutcomeNotPossible, OutcomeWithdrawn, OutcomeOutsideRemit,
}

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool {
	for _, x := range Outcomes {
		if o == x {
			return true
		}
	}
	return false
}

// Workflow errors.
var (
	// ErrTransition: the state change is not in the table.
	ErrTransition = fault.New(fault.Invalid, "staff.case.error.transition", "cases: this state change is not allowed")
	// ErrOutcomeRequired: closing needs an outcome.
	ErrOutcomeRequired = fault.New(fault.Invalid, "staff.case.error.outcome", "cases: closing needs an outcome")
	// ErrOutcomeInvalid: the outcome is not one of Outcomes.
	ErrOutcomeInvalid = fault.New(fault.Invalid, "staff.case.error.outcome", "cases: unknown outcome")
	// ErrExplanationRequired: "unfounded" only after the explanation was sent to her.
	ErrExplanationRequired = fault.New(fault.Invalid, "staff.case.error.explanation", "cases: an unfounded complaint needs the explanation sent to her first")
	// ErrAlreadyExtended: the answer deadline can be extended once only.
	ErrAlreadyExtended = fault.New(fault.Invalid, "staff.case.error.extended", "cases: the answer deadline was already extended")
	// ErrNoDeadline: there is no answer deadline to extend.
	ErrNoDeadline = fault.New(fault.Invalid, "staff.case.error.extended", "cases: no answer deadline to extend")
	// ErrAnswerRequired: feedback and closing only after the reasoned
	// answer (a message marked as the answer) was sent to her.
	ErrAnswerRequired = fault.New(fault.Invalid, "staff.case.error.answer", "cases: send her the reasoned answer first")
	// ErrNotExtendable: the case is closed or answered, or its answer
	// deadline has passed: there is nothing left to extend.
	ErrNotExtendable = fault.New(fault.Invalid, "staff.case.error.not_extendable", "cases: the answer deadline cannot be extended now")
	// ErrNoNewReply: reopening after her message needs a message of hers
	// on the closed case.
	ErrNoNewReply = fault.New(fault.Invalid, "staff.case.error.transition", "cases: no new message from her on this closed case")
)

// CheckClose returns nil when a case may be closed with outcome o:
// ErrOutcomeRequired without one, ErrOutcomeInvalid for an unknown one, and
// ErrExplanationRequired for unfounded unless the explanation was sent.
func CheckClose(o Outcome, explanationSent bool) error {
	switch {
	case o == "":
		return ErrOutcomeRequired
	case !o.Valid():
		return ErrOutcomeInvalid
	case o == OutcomeUnfounded && !explanationSent:
		return ErrExplanationRequired
	}
	return nil
}

// Deadlines are the desk's three deadlines for a case, each the end of a day
// (23:59:59 Amsterdam time).
type Deadlines struct {
	// Ack: acknowledgement within 5 working days.
	Ack time.Time `bson:"ack"`
	// Route: route chosen within 3 weeks.
	Route time.Time `bson:"route"`
	// Answer: reasoned answer within 6 weeks (+4 weeks once, see Extend).
	Answer time.Time `bson:"answer"`
	// Extended: the answer deadline was extended (it can be once only).
	Extended bool `bson:"extended"`
	// AckSent is when the acknowledgement went to her (automatically at
	// intake): the ack deadline is met and no longer counts.
	AckSent time.Time `bson:"ack_sent"`
}

// The names Deadlines.Next returns.
const (
	DeadlineAck    = "ack"
	DeadlineRoute  = "route"
	DeadlineAnswer = "answer"
)

// ComputeDeadlines returns the deadlines for a case received at received.
// Weeks are counted by the Algemene termijnenwet: a term ending on a weekend
// day or public holiday moves to the next working day.
func ComputeDeadlines(received time.Time) Deadlines {
	return Deadlines{
		Ack:    workdays.AddWorkingDays(received, 5),
		Route:  workdays.DueAfterWeeks(received, 3),
		Answer: workdays.DueAfterWeeks(received, 6),
	}
}

// Extend moves the answer deadline 4 weeks on from the current one, once:
// a second call returns ErrAlreadyExtended. d itself is not changed.
func (d Deadlines) Extend() (Deadlines, error) {
	if d.Extended {
		return d, ErrAlreadyExtended
	}
	if d.Answer.IsZero() {
		return d, ErrNoDeadline
	}
	d.Answer = workdays.DueAfterWeeks(d.Answer, 4)
	d.Extended = true
	return d, nil
}

// Next returns the nearest deadline that matters for a case in state st:
// ack (until it was sent) and route while received, route while in triage or reopened, answer
// while in a route, waiting_for_reply or reply_received. In feedback,
// closed and reopen_requested (a coordinator's decision, no legal term) no
// deadline runs: it returns "", the zero time and false. overdue is true
// when now is after the deadline.
func (d Deadlines) Next(now time.Time, st State) (what string, due time.Time, overdue bool) {
	type cand struct {
		what string
		due  time.Time
	}
	var cs []cand
	switch {
	case st == StateReceived && !d.AckSent.IsZero():
		cs = []cand{{DeadlineRoute, d.Route}}
	case st == StateReceived:
		cs = []cand{{DeadlineAck, d.Ack}, {DeadlineRoute, d.Route}}
	case st == StateTriage || st == StateReopened:
		cs = []cand{{DeadlineRoute, d.Route}}
	case st.IsRoute() || st == StateWaitingForReply || st == StateReplyReceived:
		cs = []cand{{DeadlineAnswer, d.Answer}}
	}
	for _, c := range cs {
		if c.due.IsZero() {
			continue
		}
		if what == "" || c.due.Before(due) {
			what, due = c.what, c.due
		}
	}
	if what == "" {
		return "", time.Time{}, false
	}
	return what, due, now.After(due)
}
