package cases

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/group"
)

// Errors callers map to answers.
var (
	// ErrConflict: the same client id was sent before with other content.
	ErrConflict = fault.New(fault.Conflict, "error.conflict", "cases: this id was used for another report")
	// ErrNotFound: no such case (or no case for that receipt).
	ErrNotFound = fault.New(fault.NotFound, "error.not_found", "cases: not found")
	// ErrClosedThread: she cannot write on a case that was erased.
	ErrClosedThread = fault.New(fault.Conflict, "", "cases: this case takes no more messages")
)

// Config holds what the service needs.
type Config struct {
	Store  *store.Store
	Sealer *seal.Sealer
	Texts  Translator
	Cards  CardResolver
	Notify Notifier
	Logger *slog.Logger
	Now    func() time.Time
}

// Service creates and reads cases.
type Service struct {
	st     *store.Store
	seal   *seal.Sealer
	texts  Translator
	cards  CardResolver
	notify Notifier
	log    *slog.Logger
	now    func() time.Time
	legacy legacyReceipts
	// receiptsAll: every case has its case_receipts document
	// (BackfillReceipts ran), so a receipt without one opens nothing.
	receiptsAll atomic.Bool
	// index serves the lists (see index.go).
	index caseIndex
	// journalLast is the last journal number this process wrote.
	journalLast atomic.Int64
	// journalQ lines up this process's journal writes (see index.go).
	journalQ *group.Queue[journalRef]
	// returnsQ lines up the counts of her returns (see returns.go).
	returnsQ *group.Queue[any]
}

// NewService builds the service; Cards and Notify may be nil.
func NewService(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	s := &Service{st: c.Store, seal: c.Sealer, texts: c.Texts, cards: c.Cards, notify: c.Notify, log: c.Logger, now: c.Now}
	s.journalQ = group.New(s.flushJournal)
	s.returnsQ = group.New(func(ctx context.Context, docs []any) error {
		return s.st.InsertAll(ctx, CollectionReturns, docs)
	})
	return s
}

// Indexes the cases need; unique keys make creation idempotent even when
// two instances take the same report at once.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: collectionCases, Keys: bson.D{{Key: "client_id", Value: 1}}, Unique: true, Name: "client_id_unique"},
		{Collection: collectionCases, Keys: bson.D{{Key: "reference", Value: 1}}, Unique: true, Name: "reference_unique"},
		{Collection: collectionCases, Keys: bson.D{{Key: "receipt_hash", Value: 1}}, Unique: true, Name: "receipt_hash_unique"},
		{Collection: collectionCases, Keys: bson.D{{Key: "state", Value: 1}, {Key: "deadlines.answer", Value: 1}}, Name: "state_answer"},
		{Collection: collectionCases, Keys: bson.D{{Key: "assigned_to", Value: 1}}, Name: "assigned_to"},
		{Collection: collectionEvents, Keys: bson.D{{Key: "case_id", Value: 1}, {Key: "at", Value: 1}}, Name: "case_at"},
		// Made at start-up with its collection, so the store indexes it by _id.
		{Collection: collectionReceipts, Keys: bson.D{{Key: "case", Value: 1}}, Name: "case"},
	}
}

// EnsureIndexes creates the indexes.
func (s *Service) EnsureIndexes(ctx context.Context) error {
	return s.st.EnsureIndexes(ctx, Indexes()...)
}

// GroupReceipt shows a receipt as four groups of four digits.
func GroupReceipt(r string) string {
	if len(r) != 16 {
		return r
	}
	return r[0:4] + " " + r[4:8] + " " + r[8:12] + " " + r[12:16]
}

// Get returns a case by id.
func (s *Service) Get(ctx context.Context, id string) (*Case, error) {
	var c Case
	if err := s.st.C(collectionCases).FindOne(ctx, bson.M{"_id": id}).Decode(&c); err != nil {
		return nil, fmt.Errorf("cases: get: %w", notFound(err))
	}
	return &c, nil
}

// ByReceipt finds the case a receipt opens; ErrNotFound for anything else.
func (s *Service) ByReceipt(ctx context.Context, receipt string) (*Case, error) {
	receipt = NormalizeReceipt(receipt)
	if !ValidReceipt(receipt) {
		return nil, ErrNotFound
	}
	h, err := s.seal.ReceiptHash(ctx, receipt)
	if err != nil {
		return nil, err
	}
	var ref struct {
		Case string `bson:"case"`
	}
	err = s.st.C(collectionReceipts).FindOne(ctx, bson.M{"_id": receiptKey(h)}).Decode(&ref)
	switch {
	case err == nil:
		// From the copy in memory, as fresh as every instance's journal
		// (her messages come from it too): one read fewer per look-up.
		if c, err := s.View(ctx, ref.Case); err == nil && bytes.Equal(c.ReceiptHash, h) {
			s.countReturn(ctx)
			return c, nil
		}
		// Its case is gone (retention), or its creation never finished:
		// rare, and the pass below settles it.
	case !errors.Is(store.NotFound(err), store.ErrNotFound):
		return nil, fmt.Errorf("cases: by receipt: %w", err)
	case s.receiptsAll.Load():
		// Every case has its document (BackfillReceipts): a miss by _id.
		return nil, fmt.Errorf("cases: by receipt: %w", ErrNotFound)
	}
	// Before BackfillReceipts, cases stored before receipts had their own
	// documents: a pass over every case.
	var c Case
	err = s.st.C(collectionCases).FindOne(ctx, bson.M{"receipt_hash": h}).Decode(&c)
	if err != nil {
		return nil, fmt.Errorf("cases: by receipt: %w", notFound(err))
	}
	s.countReturn(ctx)
	return &c, nil
}

// collectionReceipts leads from a receipt hash (the _id) to its case: the
// embedded database finds a document by _id from an index, and by any
// other field only by reading every case.
const collectionReceipts = "case_receipts"

func receiptKey(h []byte) string { return base64.RawURLEncoding.EncodeToString(h) }

// Field opens one sealed field of a case ("description", "about", "name",
// "contact").
func (s *Service) Field(c *Case, field string) string {
	var b []byte
	switch field {
	case "description":
		b = c.Description
	case "about":
		b = c.About
	case "name":
		b = c.Name
	case "contact":
		b = c.Contact
	}
	v, err := s.seal.Open(b, sealCtx(c.ID, field))
	if err != nil {
		s.log.Error("cases: open sealed field", "case", c.ID, "field", field, "err", err)
		return ""
	}
	return v
}

// EventBody opens an event's sealed body.
func (s *Service) EventBody(e *Event) string {
	v, err := s.seal.Open(e.Body, sealCtx(e.CaseID, "event:"+e.ID))
	if err != nil {
		s.log.Error("cases: open event body", "case", e.CaseID, "event", e.ID, "err", err)
		return ""
	}
	return v
}

// Append adds an event to a case's timeline, sealing body when given.
func (s *Service) Append(ctx context.Context, e Event, body string) (Event, error) {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	if body != "" {
		e.Body = s.seal.Seal(body, sealCtx(e.CaseID, "event:"+e.ID))
	}
	if err := s.st.Insert(ctx, collectionEvents, e); err != nil {
		return e, fmt.Errorf("cases: append %s event: %w", e.Type, err)
	}
	s.journal(ctx, e.CaseID, e.ID)
	return e, nil
}

// Timeline returns every event of a case, oldest first, from the copy in
// memory (see index.go).
func (s *Service) Timeline(ctx context.Context, caseID string) ([]Event, error) {
	_, evs, err := s.cached(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: timeline: %w", err)
	}
	return evs, nil
}

// Messages returns the thread she sees: the desk's messages and her replies.
func (s *Service) Messages(ctx context.Context, caseID string) ([]Message, error) {
	evs, err := s.Timeline(ctx, caseID)
	if err != nil {
		return nil, err
	}
	msgs := []Message{}
	for i := range evs {
		if len(evs[i].Body) == 0 {
			continue // erased by retention: nothing left to show
		}
		switch evs[i].Type {
		case EventMessage:
			msgs = append(msgs, Message{From: "desk", Body: s.EventBody(&evs[i]), At: evs[i].At})
		case EventReply:
			msgs = append(msgs, Message{From: "you", Body: s.EventBody(&evs[i]), At: evs[i].At})
		}
	}
	return msgs, nil
}

// Reply adds her message to the case her receipt opens, marks the case
// reply_received where the workflow allows, and tells the handler.
func (s *Service) Reply(ctx context.Context, receipt, body string) (*Case, error) {
	body, err := replyBody(body)
	if err != nil {
		return nil, err
	}
	c, err := s.ByReceipt(ctx, receipt)
	if err != nil {
		return nil, err
	}
	return s.reply(ctx, c, "", body)
}

// ReplyToCase is Reply for a case she opened before with her receipt (the
// public pages keep the case, not the receipt). The same key with the same
// body is one message, so pressing send twice adds it once.
func (s *Service) ReplyToCase(ctx context.Context, caseID, key, body string) (*Case, error) {
	body, err := replyBody(body)
	if err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	id := ""
	if key != "" {
		id = fmt.Sprintf("%x", s.seal.MAC("reply", caseID, key, body)[:16])
	}
	return s.reply(ctx, c, id, body)
}

func replyBody(body string) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return "", fault.InvalidField("body", "error.field.message_required")
	}
	if len([]rune(body)) > MaxMessage {
		return "", fault.InvalidField("body", "error.field.message_long")
	}
	return body, nil
}

func (s *Service) reply(ctx context.Context, c *Case, eventID, body string) (*Case, error) {
	if _, err := s.Append(ctx, Event{ID: eventID, CaseID: c.ID, Type: EventReply, Actor: ActorComplainant}, body); err != nil {
		if eventID != "" && store.IsDuplicate(err) {
			return c, nil // the same message again: it is there already
		}
		return nil, err
	}
	if err := s.markReply(ctx, c); err != nil {
		return nil, err
	}
	if s.notify != nil {
		var err error
		if cn, ok := s.notify.(ClosedReplyNotifier); ok && c.State == StateClosed {
			// On a closed case the handler may be gone from it: the
			// coordinators hear of it too, to decide on reopening.
			err = cn.ClosedReplyReceived(ctx, c.ID, c.AssignedTo)
		} else {
			err = s.notify.ReplyReceived(ctx, c.ID, c.AssignedTo)
		}
		if err != nil {
			s.log.Error("cases: notify reply", "case", c.ID, "err", err)
		}
	}
	return c, nil
}

// markReply records her reply's time and, where the workflow allows, moves
// the case to reply_received. The state is read and changed in one step
// of the store (Change), so a staff member's change at the same moment is
// neither undone nor lost, and her reply never has to lose and retry.
func (s *Service) markReply(ctx context.Context, c *Case) error {
	var from State
	var at time.Time
	moved := false
	_, err := s.st.Change(ctx, collectionCases, c.ID, func(raw bson.Raw) (any, error) {
		var cur Case
		if err := bson.Unmarshal(raw, &cur); err != nil {
			return nil, err
		}
		// The time of the change itself, taken while no one else can
		// write the case: the timeline then orders it truly.
		at = s.now().UTC()
		// Marked as new from her until the desk answers or acts, so a
		// message on a closed or answered case is not lost from sight.
		set := bson.M{"last_activity": at, "updated_at": at, "new_reply": true}
		from, moved = cur.State, CanTransition(cur.State, StateReplyReceived)
		if moved {
			set["state"] = StateReplyReceived
		}
		return bson.M{"$set": set}, nil
	})
	if err != nil {
		return fmt.Errorf("cases: mark reply: %w", err)
	}
	s.journal(ctx, c.ID, "")
	c.State = from
	if moved {
		if _, err := s.Append(ctx, Event{CaseID: c.ID, At: at, Type: EventState, Actor: ActorComplainant, From: from, To: StateReplyReceived}, ""); err != nil {
			return err
		}
		c.State = StateReplyReceived
	}
	return nil
}

// Seal seals a text of a case as the service would store it: field is
// "description", "about", "name", "contact" or "event:<event id>" (for an
// event's body). For tools that write cases in bulk (benchmarks, imports).
func (s *Service) Seal(caseID, field, text string) []byte {
	return s.seal.Seal(text, sealCtx(caseID, field))
}

// notFound turns the store's "no such document" into ErrNotFound; it
// still matches store.ErrNotFound for callers asking the store's question.
func notFound(err error) error {
	if err = store.NotFound(err); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound.Wrap(err)
	}
	return err
}
