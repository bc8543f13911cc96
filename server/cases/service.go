package cases

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
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

// fingerprint is a keyed hash of everything the sender said, so a repeat can
// be told from a different report under the same id without storing text.
// A form's report is told apart from the same words sent another way, so
// a report made through the API under a form's id never shows that form's
// receipt for it.
func (s *Service) fingerprint(in Input, src receiptSource) []byte {
	c := in
	c.ID, c.Device, c.Round, c.RecordedAt = "", "", "", time.Time{}
	b, _ := json.Marshal(c)
	if src == receiptForm {
		return s.seal.MAC("report", string(b), "form")
	}
	return s.seal.MAC("report", string(b))
}

func sealCtx(caseID, field string) string { return sealCaseField + caseID + ":" + field }

// Create validates the input and makes the case, once per client id. A
// receipt in the input is the sender's own: only an outreach device may
// bring one (ChannelOutreach, after the device was authenticated); on every
// other channel the desk makes the receipt.
func (s *Service) Create(ctx context.Context, in Input, ch Channel) (Result, error) {
	src := receiptServer
	if NormalizeReceipt(in.Receipt) != "" {
		src = receiptDevice
	}
	return s.create(ctx, in, ch, src)
}

// CreateForm makes the case of the public intake form, whose receipt is
// derived from the form's id (FormReceipt): a repeat of the form makes no
// second case and shows the same receipt. The caller checks that the id
// is one the desk handed out.
func (s *Service) CreateForm(ctx context.Context, in Input) (Result, error) {
	if NormalizeReceipt(in.Receipt) != "" {
		return Result{}, fault.InvalidField("receipt", "error.field.receipt_not_allowed")
	}
	if strings.TrimSpace(in.ID) == "" {
		return Result{}, fault.InvalidField("id", "error.field.id")
	}
	return s.create(ctx, in, ChannelWeb, receiptForm)
}

func (s *Service) create(ctx context.Context, in Input, ch Channel, src receiptSource) (Result, error) {
	in.Normalize()
	err := in.Validate(s.now())
	if src == receiptDevice {
		// Refused the same way whether or not the receipt exists: nothing
		// here looks it up.
		key := ""
		switch {
		case ch != ChannelOutreach:
			key = "error.field.receipt_not_allowed"
		case ValidReceipt(in.Receipt) && !StrongReceipt(in.Receipt):
			key = "error.field.receipt_weak"
		}
		if key != "" {
			var fields []fault.Field
			if e, ok := fault.As(err); ok {
				fields = slices.DeleteFunc(slices.Clone(e.Fields), func(f fault.Field) bool { return f.Field == "receipt" })
			}
			err = fault.Validation(append(fields, fault.Field{Field: "receipt", Key: key})...)
		}
	}
	if err != nil {
		return Result{}, err
	}
	if src == receiptForm {
		in.Receipt = s.FormReceipt(in.ID)
	}
	fp := s.fingerprint(in, src)
	if in.ID != "" {
		if r, err := s.existing(ctx, in, fp, src, false); err == nil || !errors.Is(err, ErrNotFound) {
			return r, err
		}
	}
	receipt, replaced := in.Receipt, false
	for attempt := 0; ; attempt++ {
		if src == receiptServer || replaced {
			var err error
			if receipt, err = NewReceipt(); err != nil {
				return Result{}, err
			}
		}
		c, err := s.newCase(ctx, in, ch, fp, receipt)
		if err != nil {
			return Result{}, err
		}
		// The receipt's way to its case, first: a stored case always has
		// one. Taken already means another case holds this receipt (the
		// case's own unique index below says so) or an earlier try of this
		// one wrote it; either way ByReceipt checks the case it names.
		if err := s.st.Insert(ctx, collectionReceipts, bson.M{"_id": receiptKey(c.ReceiptHash), "case": c.ID}); err != nil && !store.IsDuplicate(err) {
			return Result{}, fmt.Errorf("cases: insert receipt: %w", err)
		}
		err = s.st.Insert(ctx, collectionCases, c)
		if err == nil {
			// The case's journal entry goes with its first events' (afterCreate).
			if !c.ReceiptChecked {
				// An outdated tablet's receipt: lookups here must try it.
				s.legacy.saw(s.now())
			}
			if replaced {
				s.receiptReplaced(ctx, c)
			}
			// A failure here is completed by RepairFirstEvents: the case
			// is made, and she gets her receipt.
			_ = s.afterCreate(ctx, c, true)
			if src == receiptServer {
				return Result{ID: c.ID, Reference: c.Reference, Receipt: receipt}, nil
			}
			// The form's receipt, or the device's own echoed: the answer is
			// the same whether the device's receipt was taken or replaced.
			return Result{ID: c.ID, Reference: c.Reference, Receipt: in.Receipt}, nil
		}
		if !store.IsDuplicate(err) {
			return Result{}, fmt.Errorf("cases: insert: %w", err)
		}
		// Which key clashed? The same client id: another instance (or an
		// earlier try) took this report first.
		if r, e := s.existing(ctx, in, fp, src, true); !errors.Is(e, ErrNotFound) {
			return r, e
		}
		// Otherwise the receipt clashed with another case's.
		switch {
		case attempt > 3:
			return Result{}, fmt.Errorf("cases: no free receipt after %d tries", attempt+1)
		case src == receiptForm:
			// 1 in 10^16: the form sends again under a new id.
			return Result{}, ErrConflict
		case src == receiptDevice:
			// Her report must arrive, and the device must not learn that
			// its receipt opens another case: the case gets a receipt of
			// the desk's, and the desk is told on its timeline.
			replaced = true
		}
	}
}

// receiptReplaced tells the desk that the receipt the device handed over
// does not open this case. Its event id is fixed per case, so a repeat adds
// nothing.
func (s *Service) receiptReplaced(ctx context.Context, c *Case) {
	s.log.Warn("cases: a device's receipt was already in use; the case got another", "case", c.ID)
	e := Event{ID: c.ID + receiptReplacedSuffix, CaseID: c.ID, At: c.CreatedAt, Type: EventReceiptReplaced, Actor: ActorSystem}
	if err := s.st.Insert(ctx, collectionEvents, e); err != nil && !store.IsDuplicate(err) {
		s.log.Error("cases: write event after create", "case", c.ID, "type", e.Type, "err", err)
	} else if err == nil {
		s.journal(ctx, c.ID, e.ID)
	}
}

// existing answers a repeat: the same content gives the same case. It
// looks the case up by the id its client id gives (caseID): the embedded
// database answers a lookup by _id alone from its index and reads every
// case for any other filter. Cases made before ids were derived are found
// by their client id only when legacy is set: after an insert found the
// client id taken, not before every new report.
func (s *Service) existing(ctx context.Context, in Input, fp []byte, src receiptSource, legacy bool) (Result, error) {
	var c Case
	err := s.st.C(collectionCases).FindOne(ctx, bson.M{"_id": s.caseID(in.ID)}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) && legacy {
		err = s.st.C(collectionCases).FindOne(ctx, bson.M{"client_id": in.ID}).Decode(&c)
	}
	if err != nil {
		return Result{}, notFound(err)
	}
	if !bytes.Equal(c.Fingerprint, fp) {
		return Result{}, ErrConflict
	}
	// A crash between the insert and what follows it is healed here.
	_ = s.afterCreate(ctx, &c, false)
	receipt := in.Receipt
	if src == receiptForm && !c.ReceiptChecked {
		// Stored before receipts had a check digit.
		receipt = s.legacyFormReceipt(in.ID)
	}
	return Result{ID: c.ID, Reference: c.Reference, Receipt: receipt, Duplicate: true}, nil
}

// caseID is the id of the case with this client id: a keyed hash of it
// (a version 8 UUID), so a repeat finds its case by _id, and nobody
// without the desk's key can tell a case's id from what its client sent.
func (s *Service) caseID(clientID string) string {
	var u uuid.UUID
	copy(u[:], s.seal.MAC("case-id", clientID))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

func (s *Service) newCase(ctx context.Context, in Input, ch Channel, fp []byte, receipt string) (*Case, error) {
	now := s.now().UTC()
	id := uuid.NewString()
	clientID := in.ID
	if clientID == "" {
		// Every case has a client id so the unique index never meets two
		// missing values (FerretDB has no partial indexes).
		clientID = id
	} else {
		id = s.caseID(clientID)
	}
	// The slow hash first: when the desk is too busy for it (ErrBusy), no
	// reference number is spent.
	receiptHash, err := s.seal.ReceiptHash(ctx, receipt)
	if err != nil {
		return nil, err
	}
	if gate.Gone(ctx) {
		// She gave up during the hash (under load): no case nobody hears
		// of; sent again, the same id makes it then.
		return nil, gate.ErrGone
	}
	n, err := s.st.NextSequence(ctx, fmt.Sprintf("reference-%d", now.Year()))
	if err != nil {
		return nil, err
	}
	batch := ""
	if in.Card != "" && s.cards != nil {
		batch, err = s.cards.BatchOf(ctx, in.Card)
		if err != nil {
			// A card lookup must never cost her the report.
			s.log.Warn("cases: card batch lookup failed", "err", err)
			batch = ""
		}
	}
	if batch == "" && in.Batch != "" && cardRe.MatchString(in.Batch) {
		batch = in.Batch
	}
	// An outreach report was received when she told it, not when the
	// tablet found a network: its received time and deadlines start then.
	received := now
	if !in.RecordedAt.IsZero() && in.RecordedAt.Before(now) {
		received = in.RecordedAt.UTC()
	}
	if ch == ChannelWeb && in.Card != "" {
		ch = ChannelCard
	}
	if in.Reporter == "professional" && ch != ChannelOutreach {
		ch = ChannelProfessional
	}
	// Validate has refused what does not resolve.
	municipality, region := CodeMunicipality(in.Municipality)
	group := "other"
	for _, cat := range Categories {
		if cat.ID == in.Category {
			group = cat.Group
		}
	}
	c := &Case{
		ID: id, ClientID: clientID, Fingerprint: fp,
		Reference:   fmt.Sprintf("%s-%d-%04d", referencePrefix, now.Year(), n),
		ReceiptHash: receiptHash, ReceiptChecked: ReceiptChecks(receipt),
		CreatedAt: received, UpdatedAt: now, LastActivity: now,
		Kind: in.Kind, Category: in.Category, Group: group, Municipality: municipality, Region: region,
		HappenedOn: in.HappenedOn, Setting: in.Setting, Wish: in.Wish,
		IdentityMode: in.Identity.Mode, ShareIdentity: in.ShareIdentity, Reporter: in.Reporter,
		Language: in.Language, Channel: string(ch), Card: in.Card, Batch: batch,
		Device: in.Device, Round: in.Round,
		State: StateReceived, Deadlines: ComputeDeadlines(received), Themes: []string{},
		Steps: 1, ReportOnly: in.ReportOnly,
	}
	// The acknowledgement goes out with the case (afterCreate writes it,
	// and a repeat heals a crash in between): its deadline is met.
	c.Deadlines.AckSent = now
	if in.ReportOnly {
		// Counted and linked to themes; no one waits for an answer.
		c.Deadlines = Deadlines{AckSent: now}
	}
	c.Description = s.seal.Seal(in.Description, sealCtx(id, "description"))
	c.About = s.seal.Seal(in.About, sealCtx(id, "about"))
	c.Name = s.seal.Seal(in.Identity.Name, sealCtx(id, "name"))
	c.Contact = s.seal.Seal(in.Identity.Contact, sealCtx(id, "contact"))
	return c, nil
}

// afterCreate tells staff and writes the acknowledgement and the creation
// event, in one insert with the creation event last: that event marks the
// unit complete, so a case without it is completed by RepairFirstEvents.
// Event ids and the notification are fixed per case, so repeating it adds
// nothing twice. made says the case was inserted just now: its own journal
// entry goes with its events', in one insert.
func (s *Service) afterCreate(ctx context.Context, c *Case, made bool) error {
	var refs []journalRef
	if made {
		refs = append(refs, journalRef{c.ID, ""})
	}
	defer func() { s.journalAll(ctx, refs...) }()
	ack := s.ackText(ctx, c)
	evs := []any{
		Event{ID: c.ID + ackEventSuffix, CaseID: c.ID, At: c.CreatedAt.Add(time.Millisecond), Type: EventMessage, Actor: ActorSystem,
			Body: s.seal.Seal(ack, sealCtx(c.ID, "event:"+c.ID+ackEventSuffix)), Data: map[string]string{"text": "std.ack"}},
		Event{ID: c.ID + createdEventSuffix, CaseID: c.ID, At: c.CreatedAt, Type: EventCreated, Actor: ActorSystem,
			To: StateReceived, Data: map[string]string{"channel": c.Channel}},
	}
	if s.notify != nil {
		if err := s.notify.CaseCreated(ctx, c.ID); err != nil {
			s.log.Error("cases: notify new case", "case", c.ID, "err", err)
			return fmt.Errorf("cases: notify new case: %w", err)
		}
	}
	// One insert (on the embedded database one transaction), in order: the
	// creation event last. A repeat finds some there already.
	wrote, err := s.st.InsertMissing(ctx, collectionEvents, evs)
	for i, w := range wrote {
		if w {
			refs = append(refs, journalRef{c.ID, evs[i].(Event).ID})
		}
	}
	if err != nil {
		s.log.Error("cases: write the first events after create", "case", c.ID, "err", err)
		return fmt.Errorf("cases: write the first events: %w", err)
	}
	return nil
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
