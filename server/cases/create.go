package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/store"
)

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
	return s.create(ctx, in, ch, sourceOf(in))
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
	d, r, err := s.admit(ctx, in, ch, src, true)
	if d == nil {
		return r, err
	}
	for attempt := 0; ; attempt++ {
		if err := s.draftCase(ctx, d); err != nil {
			return Result{}, err
		}
		if err := s.number(ctx, []*Case{d.c}); err != nil {
			return Result{}, err
		}
		// The receipt's way to its case, first: a stored case always has
		// one. Taken already means another case holds this receipt (the
		// case's own unique index below says so) or an earlier try of this
		// one wrote it; either way ByReceipt checks the case it names.
		if err := s.st.Insert(ctx, collectionReceipts, receiptDoc(d.c)); err != nil && !store.IsDuplicate(err) {
			return Result{}, fmt.Errorf("cases: insert receipt: %w", err)
		}
		err := s.st.Insert(ctx, collectionCases, d.c)
		if err == nil {
			s.made(ctx, []*draft{d})
			return d.result(), nil
		}
		if !store.IsDuplicate(err) {
			return Result{}, fmt.Errorf("cases: insert: %w", err)
		}
		// Which key clashed? The same client id: another instance (or an
		// earlier try) took this report first.
		if r, e := s.existing(ctx, d.in, d.fp, d.src, true); !errors.Is(e, ErrNotFound) {
			return r, e
		}
		// Otherwise the receipt clashed with another case's.
		switch {
		case attempt > 3:
			return Result{}, fmt.Errorf("cases: no free receipt after %d tries", attempt+1)
		case d.src == receiptForm:
			// 1 in 10^16: the form sends again under a new id.
			return Result{}, ErrConflict
		case d.src == receiptDevice:
			// Her report must arrive, and the device must not learn that
			// its receipt opens another case: the case gets a receipt of
			// the desk's, and the desk is told on its timeline.
			d.replaced = true
		}
	}
}

// draft is a report on its way to becoming a case.
type draft struct {
	in  Input // normalized and valid
	ch  Channel
	src receiptSource
	fp  []byte
	// receipt is the one hashed into c: the sender's or the form's, or
	// one the desk made (receiptServer, or replaced).
	receipt  string
	replaced bool // the device's receipt opens another case: the desk made this one
	c        *Case
}

// admit validates a report and answers a repeat of one stored before: a
// draft when it is new, otherwise its answer. Without maybeStored (the
// copy of the cases does not hold its id) it is taken as new without a
// look: were it stored after all, its insert finds it and the
// one-by-one way answers it.
func (s *Service) admit(ctx context.Context, in Input, ch Channel, src receiptSource, maybeStored bool) (*draft, Result, error) {
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
		return nil, Result{}, err
	}
	if src == receiptForm {
		in.Receipt = s.FormReceipt(in.ID)
	}
	fp := s.fingerprint(in, src)
	if in.ID != "" && maybeStored {
		if r, err := s.existing(ctx, in, fp, src, false); err == nil || !errors.Is(err, ErrNotFound) {
			return nil, r, err
		}
	}
	return &draft{in: in, ch: ch, src: src, fp: fp, receipt: in.Receipt}, Result{}, nil
}

// draftCase builds the draft's case with its receipt hashed (a receipt
// of the desk's made first where it needs one), all but its number.
func (s *Service) draftCase(ctx context.Context, d *draft) error {
	if d.src == receiptServer || d.replaced {
		r, err := NewReceipt()
		if err != nil {
			return err
		}
		d.receipt = r
	}
	c, err := s.newCase(ctx, d.in, d.ch, d.fp, d.receipt)
	d.c = c
	return err
}

// result is the answer for a draft whose case was stored.
func (d *draft) result() Result {
	if d.src == receiptServer {
		return Result{ID: d.c.ID, Reference: d.c.Reference, Receipt: d.receipt}
	}
	// The form's receipt, or the device's own echoed: the answer is the
	// same whether the device's receipt was taken or replaced.
	return Result{ID: d.c.ID, Reference: d.c.Reference, Receipt: d.in.Receipt}
}

// number gives cases their reference numbers, those of one year from one
// claim. A number a case does not end up with is not used again (the
// references have a gap, as after a crash).
func (s *Service) number(ctx context.Context, cs []*Case) error {
	byYear := map[int][]*Case{}
	var years []int
	for _, c := range cs {
		y := c.UpdatedAt.Year()
		if byYear[y] == nil {
			years = append(years, y)
		}
		byYear[y] = append(byYear[y], c)
	}
	for _, y := range years {
		ns, err := s.st.NextSequences(ctx, fmt.Sprintf("reference-%d", y), len(byYear[y]))
		if err != nil {
			return err
		}
		for i, c := range byYear[y] {
			c.Reference = fmt.Sprintf("%s-%d-%04d", referencePrefix, y, ns[i])
		}
	}
	return nil
}

func receiptDoc(c *Case) bson.M { return bson.M{"_id": receiptKey(c.ReceiptHash), "case": c.ID} }

// made completes cases just inserted: what the desk must know of them,
// then their first events and journal entries.
func (s *Service) made(ctx context.Context, ds []*draft) {
	cs := make([]*Case, len(ds))
	for i, d := range ds {
		cs[i] = d.c
		if !d.c.ReceiptChecked {
			// An outdated tablet's receipt: lookups here must try it.
			s.legacy.saw(s.now())
		}
		if d.replaced {
			s.receiptReplaced(ctx, d.c)
		}
	}
	// A failure here is completed by RepairFirstEvents: the cases are
	// made, and she gets her receipt.
	_ = s.afterCreate(ctx, cs, true)
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
	_ = s.afterCreate(ctx, []*Case{&c}, false)
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

// afterCreate tells staff and writes each case's acknowledgement and
// creation event, all in one insert with each creation event after its
// acknowledgement: that event marks the unit complete, so a case without
// it is completed by RepairFirstEvents. Event ids and notifications are
// fixed per case, so repeating it adds nothing twice. made says the cases
// were inserted just now: their own journal entries go with their events'.
func (s *Service) afterCreate(ctx context.Context, cs []*Case, made bool) error {
	var refs []journalRef
	if made {
		for _, c := range cs {
			refs = append(refs, journalRef{c.ID, ""})
		}
	}
	defer func() { s.journalAll(ctx, refs...) }()
	ack := s.ackTemplate(ctx)
	evs := make([]any, 0, 2*len(cs))
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		evs = append(evs,
			Event{ID: c.ID + ackEventSuffix, CaseID: c.ID, At: c.CreatedAt.Add(time.Millisecond), Type: EventMessage, Actor: ActorSystem,
				Body: s.seal.Seal(s.ackText(ack, c), sealCtx(c.ID, "event:"+c.ID+ackEventSuffix)), Data: map[string]string{"text": "std.ack"}},
			Event{ID: c.ID + createdEventSuffix, CaseID: c.ID, At: c.CreatedAt, Type: EventCreated, Actor: ActorSystem,
				To: StateReceived, Data: map[string]string{"channel": c.Channel}})
	}
	if err := s.notifyCreated(ctx, ids); err != nil {
		s.log.Error("cases: notify new cases", "cases", len(ids), "err", err)
		return fmt.Errorf("cases: notify new cases: %w", err)
	}
	// One insert (on the embedded database one transaction), in order. A
	// repeat finds some there already.
	wrote, err := s.st.InsertMissing(ctx, collectionEvents, evs)
	for i, w := range wrote {
		if w {
			e := evs[i].(Event)
			refs = append(refs, journalRef{e.CaseID, e.ID})
		}
	}
	if err != nil {
		s.log.Error("cases: write the first events after create", "cases", len(ids), "err", err)
		return fmt.Errorf("cases: write the first events: %w", err)
	}
	return nil
}

// notifyCreated tells staff of new cases: all at once where the notifier
// can (a tablet's sync), otherwise one by one.
func (s *Service) notifyCreated(ctx context.Context, ids []string) error {
	switch n := s.notify.(type) {
	case nil:
		return nil
	case BatchNotifier:
		return n.CasesCreated(ctx, ids)
	default:
		for _, id := range ids {
			if err := n.CaseCreated(ctx, id); err != nil {
				return err
			}
		}
		return nil
	}
}
