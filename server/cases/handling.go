package cases

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/fault"
)

// Errors of staff actions on a case.
var (
	// ErrChanged: the case changed between reading and writing (another
	// user acted at the same moment); read it again and retry.
	ErrChanged = fault.New(fault.Invalid, "staff.case.error.changed", "cases: the case changed meanwhile")
	// ErrReasonRequired: declining needs the reasons.
	ErrReasonRequired = fault.New(fault.Invalid, "staff.case.error.reason", "cases: give the reasons")
	// ErrUseClose: closing goes through Close, with an outcome.
	ErrUseClose = fault.New(fault.Invalid, "staff.case.error.use_close", "cases: close a case with an outcome")
	// ErrConsentRequired: a referral is recorded only with her consent.
	ErrConsentRequired = fault.New(fault.Invalid, "staff.case.error.consent", "cases: a referral needs her consent")
	// ErrNotClosed: she can say whether she felt heard only after closing.
	ErrNotClosed = fault.New(fault.Conflict, "", "cases: the case is not closed")
	// ErrAlreadyAnswered: she already said whether she felt heard.
	ErrAlreadyAnswered = fault.New(fault.Conflict, "status.heard_thanks", "cases: already answered")
	// ErrErased: the case's identity was erased; nothing more can be sent.
	ErrErased = fault.New(fault.Conflict, "", "cases: this case was erased for privacy")
	// ErrEmpty: an empty message, note or field.
	ErrEmpty = fault.New(fault.Invalid, "staff.case.error.empty", "cases: empty")
	// ErrTooLong: a message, note or field over its limit.
	ErrTooLong = fault.New(fault.Invalid, "staff.case.error.too_long", "cases: too long")
	// ErrUnknownText: no such standard text.
	ErrUnknownText = fault.New(fault.Invalid, "staff.case.error.empty", "cases: unknown standard text")
)

// Priorities staff can set (0 is normal).
var Priorities = []int{0, 1, 2}

func cleanText(s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return "", ErrEmpty
	}
	if utf8.RuneCountInString(s) > max {
		return "", ErrTooLong
	}
	return s, nil
}

// setFrom updates the case only if it is still in the state it was read
// in, so two people acting at once cannot both win.
func (s *Service) setFrom(ctx context.Context, c *Case, set bson.M) error {
	now := s.now().UTC()
	set["updated_at"] = now
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "state": c.State}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("cases: update: %w", err)
	}
	if !ok {
		return ErrChanged
	}
	s.journal(ctx, c.ID, "")
	return nil
}

// Transition moves a case to state to, as the table in workflow.go allows.
// Choosing a route records it; declining needs reason (kept as an internal
// note on the event); reopening starts the deadlines again. Feedback needs
// the reasoned answer sent to her first (ErrAnswerRequired). Closing from
// feedback goes through Close; a refused reopen request (reopen_requested
// -> closed) keeps the earlier outcome, needs the reasons and sends them
// to her. A staff member's change clears the "new from her" marker.
func (s *Service) Transition(ctx context.Context, caseID, actor string, to State, reason string) (*Case, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := CheckTransition(c.State, to); err != nil {
		return nil, err
	}
	if to == StateClosed && c.State != StateReopenRequested {
		return nil, ErrUseClose
	}
	refused := c.State == StateReopenRequested && to == StateClosed
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	if (to == StateDeclined || refused) && reason == "" {
		return nil, ErrReasonRequired
	}
	if utf8.RuneCountInString(reason) > MaxMessage {
		return nil, ErrTooLong
	}
	if to == StateFeedback && !c.ReportOnly {
		sent, err := s.ExplanationSent(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if !sent {
			return nil, ErrAnswerRequired
		}
	}
	now := s.now().UTC()
	set := bson.M{"state": to, "new_reply": false}
	data := map[string]string{}
	if to.IsRoute() {
		set["route"] = to
		data["route"] = string(to)
	}
	keepSteps(c, to, now, set)
	if to == StateReopened {
		// A reopened case is handled anew: new terms, no outcome yet.
		set["deadlines"] = reopenDeadlines(now)
		set["outcome"] = Outcome("")
		set["closed_at"] = time.Time{}
		set["heard"] = ""
	}
	if err := s.setFrom(ctx, c, set); err != nil {
		return nil, err
	}
	// The event bears the time the case keeps for it (keepSteps): reports
	// read the one, the timeline shows the other.
	if _, err := s.Append(ctx, Event{CaseID: c.ID, At: now, Type: EventState, Actor: actor, From: c.State, To: to, Data: data}, reason); err != nil {
		return nil, err
	}
	if refused {
		// She asked to be heard again: she reads why not, in the
		// coordinator's words.
		if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventMessage, Actor: actor,
			Data: map[string]string{"lang": c.Language, "reopen_refused": "1"}}, reason); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, caseID)
}

// ChooseRoute sets the route of a case. A case still received goes
// through triage on the way (two events), so taking and routing a new
// case are two steps, not three.
func (s *Service) ChooseRoute(ctx context.Context, caseID, actor string, route State, reason string) (*Case, error) {
	if !route.IsRoute() {
		return nil, fmt.Errorf("%w: %s is not a route", ErrTransition, route)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.State == StateReceived {
		if route == StateDeclined && strings.TrimSpace(reason) == "" {
			return nil, ErrReasonRequired // checked before triage is written
		}
		if _, err := s.Transition(ctx, caseID, actor, StateTriage, ""); err != nil {
			return nil, err
		}
	}
	return s.Transition(ctx, caseID, actor, route, reason)
}

// reopenDeadlines are the terms of a case handled anew: the
// acknowledgement is not sent again, so only route and answer run.
func reopenDeadlines(now time.Time) Deadlines {
	d := ComputeDeadlines(now)
	d.AckSent = now
	return d
}

// ReopenAfterReply reopens a closed case on which she wrote after it was
// closed (the "new from her" marker): the desk takes it up again without
// waiting for her to ask. ErrNoNewReply when there is no such message.
func (s *Service) ReopenAfterReply(ctx context.Context, caseID, actor string) (*Case, error) {
	var now time.Time
	var refusal error
	ok, err := s.st.Change(ctx, collectionCases, caseID, func(raw bson.Raw) (any, error) {
		var cur Case
		if err := bson.Unmarshal(raw, &cur); err != nil {
			return nil, err
		}
		if cur.State != StateClosed || !cur.NewReply {
			refusal = ErrNoNewReply
			return nil, nil
		}
		now = s.now().UTC()
		return bson.M{"$set": bson.M{"state": StateReopened, "new_reply": false, "deadlines": reopenDeadlines(now),
			"outcome": Outcome(""), "closed_at": time.Time{}, "heard": "", "updated_at": now}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cases: reopen after reply: %w", notFound(err))
	}
	if !ok {
		if refusal == nil {
			refusal = ErrNoNewReply
		}
		return nil, refusal
	}
	s.journal(ctx, caseID, "")
	if _, err := s.Append(ctx, Event{CaseID: caseID, At: now, Type: EventState, Actor: actor, From: StateClosed, To: StateReopened,
		Data: map[string]string{"after_reply": "1"}}, ""); err != nil {
		return nil, err
	}
	return s.Get(ctx, caseID)
}

// ExplanationSent says whether a reasoned answer (a message marked as the
// answer) was sent to her since the case was last (re)opened.
func (s *Service) ExplanationSent(ctx context.Context, caseID string) (bool, error) {
	evs, err := s.Timeline(ctx, caseID)
	if err != nil {
		return false, err
	}
	sent := false
	for _, e := range evs {
		switch {
		case e.Type == EventState && e.To == StateReopened:
			sent = false
		case e.Type == EventMessage && e.Data["answer"] == "1":
			sent = true
		}
	}
	return sent, nil
}

// Close closes a case with an outcome (see CheckClose: "unfounded" only
// after the explanation was sent to her). Every case is closed only after
// the reasoned answer was sent to her (ErrAnswerRequired), whatever its
// route and outcome; a report for reports only (no one to answer) closes
// from any open state.
func (s *Service) Close(ctx context.Context, caseID, actor string, outcome Outcome) (*Case, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !(c.ReportOnly && c.State.Open() && c.State != StateReopenRequested) {
		if err := CheckTransition(c.State, StateClosed); err != nil {
			return nil, err
		}
	}
	sent, err := s.ExplanationSent(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := CheckClose(outcome, sent || c.ReportOnly); err != nil {
		return nil, err
	}
	if !sent && !c.ReportOnly {
		return nil, ErrAnswerRequired
	}
	now := s.now().UTC()
	if err := s.setFrom(ctx, c, bson.M{"state": StateClosed, "outcome": outcome, "closed_at": now, "heard": "", "new_reply": false}); err != nil {
		return nil, err
	}
	if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventState, Actor: actor, From: c.State, To: StateClosed,
		Data: map[string]string{"outcome": string(outcome)}}, ""); err != nil {
		return nil, err
	}
	return s.Get(ctx, caseID)
}

// AnswerAndClose sends her the reasoned answer and closes the case with
// outcome in one step (the common path's last one): the message is marked
// as the answer, the case moves to feedback if it is not there yet, then
// closes. The outcome is checked before anything is sent.
func (s *Service) AnswerAndClose(ctx context.Context, caseID, actor string, o Outgoing, outcome Outcome) (*Case, error) {
	if err := CheckClose(outcome, true); err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.State != StateFeedback && !CanTransition(c.State, StateFeedback) {
		return nil, fmt.Errorf("%w: %s -> %s", ErrTransition, c.State, StateFeedback)
	}
	o.Answer = true
	if _, err := s.SendMessage(ctx, caseID, actor, o); err != nil {
		return nil, err
	}
	if c.State != StateFeedback {
		if _, err := s.Transition(ctx, caseID, actor, StateFeedback, ""); err != nil {
			return nil, err
		}
	}
	return s.Close(ctx, caseID, actor, outcome)
}

// Assign gives the case to a staff user ("" unassigns).
func (s *Service) Assign(ctx context.Context, caseID, actor, userID string) (*Case, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.AssignedTo == userID {
		return c, nil
	}
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "assigned_to": c.AssignedTo},
		bson.M{"$set": bson.M{"assigned_to": userID, "updated_at": s.now().UTC()}})
	if err != nil {
		return nil, fmt.Errorf("cases: assign: %w", err)
	}
	if !ok {
		return nil, ErrChanged
	}
	s.journal(ctx, c.ID, "")
	if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventAssigned, Actor: actor,
		Data: map[string]string{"from": c.AssignedTo, "to": userID}}, ""); err != nil {
		return nil, err
	}
	c.AssignedTo = userID
	if an, ok := s.notify.(AssignNotifier); ok && userID != "" && userID != actor {
		if err := an.CaseAssigned(ctx, c.ID, userID); err != nil {
			s.log.Error("cases: notify assignment", "case", c.ID, "err", err)
		}
	}
	return c, nil
}

// SetPriority sets the priority staff give a case (one of Priorities).
func (s *Service) SetPriority(ctx context.Context, caseID, actor string, p int) (*Case, error) {
	if !slices.Contains(Priorities, p) {
		return nil, fmt.Errorf("cases: priority %d: %w", p, ErrTooLong)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.Priority == p {
		return c, nil
	}
	// From the priority read, so the timeline's "from" is always true.
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "priority": c.Priority},
		bson.M{"$set": bson.M{"priority": p, "updated_at": s.now().UTC()}})
	if err != nil {
		return nil, fmt.Errorf("cases: priority: %w", err)
	}
	if !ok {
		return nil, ErrChanged
	}
	s.journal(ctx, c.ID, "")
	if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventPriority, Actor: actor,
		Data: map[string]string{"from": strconv.Itoa(c.Priority), "to": strconv.Itoa(p)}}, ""); err != nil {
		return nil, err
	}
	c.Priority = p
	return c, nil
}

// AddNote adds an internal note: staff see it, she never does.
func (s *Service) AddNote(ctx context.Context, caseID, actor, body string) (Event, error) {
	body, err := cleanText(body, MaxMessage)
	if err != nil {
		return Event{}, err
	}
	if _, err := s.Get(ctx, caseID); err != nil {
		return Event{}, err
	}
	return s.Append(ctx, Event{CaseID: caseID, Type: EventNote, Actor: actor}, body)
}

// Outgoing is a message to her: a standard text, a personal line, or both.
type Outgoing struct {
	Text   string // standard text name ("" for a personal message only)
	Line   string // the handler's own words, added under the text
	Answer bool   // this is the reasoned answer (or the explanation of "unfounded")
}

// SendMessage sends a message to her: stored as sent, in her language, and
// shown on her status page.
func (s *Service) SendMessage(ctx context.Context, caseID, actor string, o Outgoing) (Event, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Event{}, err
	}
	body, answer, err := s.compose(ctx, c, o)
	if err != nil {
		return Event{}, err
	}
	data := map[string]string{"lang": c.Language}
	if o.Text != "" {
		data["text"] = o.Text
		o.Answer = o.Answer || answer
	}
	if o.Answer {
		data["answer"] = "1"
	}
	e, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventMessage, Actor: actor, Data: data}, body)
	if err != nil {
		return e, err
	}
	if o.Answer {
		s.keepAnswered(ctx, c, e.At)
	}
	if c.NewReply {
		// Answered: her message is no longer waiting.
		if _, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"new_reply": false}}); err != nil {
			return e, fmt.Errorf("cases: clear new reply: %w", err)
		}
		s.journal(ctx, c.ID, "")
	}
	return e, nil
}

// Extend extends the answer deadline by 4 weeks, once, and sends her the
// notice in her language. Only while the answer is still due: not on a
// closed or answered case, nor after the deadline passed (ErrNotExtendable).
func (s *Service) Extend(ctx context.Context, caseID, actor, line string) (*Case, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var d Deadlines
	var refusal error
	ok, err := s.st.Change(ctx, collectionCases, caseID, func(raw bson.Raw) (any, error) {
		var cur Case
		if err := bson.Unmarshal(raw, &cur); err != nil {
			return nil, err
		}
		if refusal = extendable(&cur, s.now()); refusal != nil {
			return nil, nil
		}
		if d, refusal = cur.Deadlines.Extend(); refusal != nil {
			return nil, nil
		}
		return bson.M{"$set": bson.M{"deadlines": d, "updated_at": s.now().UTC()}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cases: extend: %w", notFound(err))
	}
	if !ok {
		if refusal == nil {
			refusal = ErrAlreadyExtended
		}
		return nil, refusal
	}
	s.journal(ctx, caseID, "")
	due := d.Answer.Format("2006-01-02")
	if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventExtended, Actor: actor,
		Data: map[string]string{"answer": due}}, ""); err != nil {
		return nil, err
	}
	body := s.extendedNotice(ctx, c, due)
	if l := strings.TrimSpace(line); l != "" {
		body += "\n\n" + l
	}
	if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventMessage, Actor: actor,
		Data: map[string]string{"text": TextExtended.Name, "lang": c.Language}}, body); err != nil {
		return nil, err
	}
	c.Deadlines = d
	return c, nil
}

// extendable says why the answer deadline of c cannot be extended now
// (nil if it can): the case must be open and not yet answered, and the
// deadline still ahead.
func extendable(c *Case, now time.Time) error {
	switch c.State {
	case StateClosed, StateFeedback, StateReopenRequested:
		return ErrNotExtendable
	}
	if c.Deadlines.Extended {
		return ErrAlreadyExtended
	}
	if c.Deadlines.Answer.IsZero() {
		return ErrNoDeadline
	}
	if !now.Before(c.Deadlines.Answer) {
		return ErrNotExtendable
	}
	return nil
}

// Extendable reports whether the answer deadline can be extended now.
func (s *Service) Extendable(c *Case) bool { return extendable(c, s.now()) == nil }

// MaxHeardReason bounds her reason for not feeling heard.
const MaxHeardReason = 2000

// RecordHeard stores her answer, on her status page after closing, to
// "did you feel heard?". "No" asks to reopen: the case moves to
// reopen_requested and the coordinators are told. She answers once per
// closing (ErrAlreadyAnswered); before closing ErrNotClosed.
func (s *Service) RecordHeard(ctx context.Context, receipt string, yes bool, reason string) (*Case, error) {
	return s.recordHeard(ctx, reason, func() (*Case, error) { return s.ByReceipt(ctx, receipt) }, yes)
}

// RecordHeardCase is RecordHeard for a case she opened before with her
// receipt (the public pages keep the case, not the receipt).
func (s *Service) RecordHeardCase(ctx context.Context, caseID string, yes bool, reason string) (*Case, error) {
	return s.recordHeard(ctx, reason, func() (*Case, error) { return s.Get(ctx, caseID) }, yes)
}

func (s *Service) recordHeard(ctx context.Context, reason string, open func() (*Case, error), yes bool) (*Case, error) {
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	if utf8.RuneCountInString(reason) > MaxHeardReason {
		return nil, fault.InvalidField("reason", "error.field.message_long")
	}
	c, err := open()
	if err != nil {
		return nil, err
	}
	if c.State != StateClosed {
		return nil, ErrNotClosed
	}
	if c.Heard != "" {
		return nil, ErrAlreadyAnswered
	}
	answer, to := "yes", StateClosed
	if !yes {
		answer, to = "no", StateReopenRequested
	}
	now := s.now().UTC()
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "state": StateClosed, "heard": ""},
		bson.M{"$set": bson.M{"heard": answer, "state": to, "last_activity": now, "updated_at": now, "heard_at": now}})
	if err != nil {
		return nil, fmt.Errorf("cases: heard: %w", err)
	}
	if !ok {
		return nil, ErrAlreadyAnswered
	}
	s.journal(ctx, c.ID, "")
	if _, err := s.Append(ctx, Event{CaseID: c.ID, At: now, Type: EventHeard, Actor: ActorComplainant,
		Data: map[string]string{"answer": answer}}, reason); err != nil {
		return nil, err
	}
	if !yes {
		if _, err := s.Append(ctx, Event{CaseID: c.ID, Type: EventState, Actor: ActorComplainant,
			From: StateClosed, To: StateReopenRequested}, ""); err != nil {
			return nil, err
		}
		if s.notify != nil {
			if err := s.notify.ReopenRequested(ctx, c.ID); err != nil {
				s.log.Error("cases: notify reopen request", "case", c.ID, "err", err)
			}
		}
	}
	c.Heard, c.State = answer, to
	return c, nil
}
