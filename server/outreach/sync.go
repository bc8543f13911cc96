package outreach

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/jsonin"
	"github.com/gehoord/gehoord/server/metrics"
)

// Results of one synced item. Created and duplicate both mean "the server
// has it: safe to delete on the tablet"; rejected means the tablet keeps it,
// shows the errors and lets the worker fix and resend it.
const (
	Created   = "created"
	Duplicate = "duplicate"
	Rejected  = "rejected"
)

// SyncRequest is the body of POST /api/v1/outreach/sync. Reports are kept
// raw: each one is exactly a POST /api/v1/reports body and is decoded by the
// intake, so the two paths cannot drift apart. Sealed items carry a round,
// report or card count sealed on the tablet to the desk key (see
// SealedItem); Language is the worker's own language, for the rejection
// texts she reads.
type SyncRequest struct {
	Reports  []json.RawMessage `json:"reports"`
	Cards    []CardCount       `json:"cards,omitempty"`
	Rounds   []Round           `json:"rounds,omitempty"`
	Sealed   []SealedItem      `json:"sealed,omitempty"`
	Language string            `json:"language,omitempty"`

	// Items that could not be read as their kind (a count sent as a
	// string, a number as an id), by index: rejected alone.
	badCards, badRounds, badSealed map[int]*fault.Error
}

// UnmarshalJSON reads a batch item by item: an item of the wrong shape is
// rejected on its own, naming its field, and the rest of the batch is
// stored (the contract: a rejected item never blocks the others).
func (r *SyncRequest) UnmarshalJSON(b []byte) error {
	var raw struct {
		Reports []json.RawMessage `json:"reports"`
		Cards   []json.RawMessage `json:"cards"`
		Rounds  []json.RawMessage `json:"rounds"`
		Sealed  []json.RawMessage `json:"sealed"`
		// Only for her rejection texts: a wrong type reads as none.
		Language json.RawMessage `json:"language"`
	}
	if err := jsonin.Decode(b, &raw); err != nil {
		return err
	}
	*r = SyncRequest{Reports: raw.Reports}
	_ = json.Unmarshal(raw.Language, &r.Language)
	for i, m := range raw.Sealed {
		var si SealedItem
		if rej := decodeItem(m, &si); rej != nil {
			si = SealedItem{ID: peek(m).ID}
			r.badSealed = setRejection(r.badSealed, i, rej)
		}
		r.Sealed = append(r.Sealed, si)
	}
	for i, m := range raw.Cards {
		var c CardCount
		if rej := decodeItem(m, &c); rej != nil {
			h := peek(m)
			c = CardCount{ID: h.ID, Language: h.Language}
			r.badCards = setRejection(r.badCards, i, rej)
		}
		r.Cards = append(r.Cards, c)
	}
	for i, m := range raw.Rounds {
		var rd Round
		if rej := decodeItem(m, &rd); rej != nil {
			h := peek(m)
			rd = Round{ID: h.ID, Language: h.Language}
			r.badRounds = setRejection(r.badRounds, i, rej)
		}
		r.Rounds = append(r.Rounds, rd)
	}
	return nil
}

func setRejection(m map[int]*fault.Error, i int, rej *fault.Error) map[int]*fault.Error {
	if m == nil {
		m = map[int]*fault.Error{}
	}
	m[i] = rej
	return m
}

// decodeItem reads one item; a value of the wrong type is a rejection that
// names the field.
func decodeItem(m json.RawMessage, v any) *fault.Error {
	if err := jsonin.Decode(m, v); err != nil {
		return itemFault(err)
	}
	return nil
}

// itemFault is the rejection of an item that could not be read as its
// kind: jsonin's Malformed fault, each field's problem worded for the
// worker (an id she cannot type, a count, any other value). An item that
// is no object at all names no field.
func itemFault(err error) *fault.Error {
	f, ok := fault.As(err)
	if !ok {
		f = jsonin.Fault(err)
	}
	fields := make([]fault.Field, 0, len(f.Fields))
	for _, fe := range f.Fields {
		switch fe.Field {
		case "id", "round":
			fe.Key = "app.error.id"
		case "count":
			fe.Key = "app.error.count"
		default:
			fe.Key = jsonin.KeyType
		}
		fields = append(fields, fault.Field{Field: fe.Field, Key: fe.Key})
	}
	out := fault.New(fault.Malformed, jsonin.KeyUnreadable, "outreach: item unreadable").Wrap(f)
	out.Fields = fields
	return out
}

// rejected is the fault of an item the tablet keeps and lets the worker
// fix: one that failed validation or could not be read. Any other error
// is the server failing.
func rejected(err error) (*fault.Error, bool) {
	f, ok := fault.As(err)
	if !ok || (f.Code != fault.Invalid && f.Code != fault.Malformed) {
		return nil, false
	}
	return f, true
}

// SealedItem is one item sealed on the tablet to the desk's public key:
// its plaintext is exactly what the item would be in rounds, reports or
// cards. Binary fields are unpadded base64url.
type SealedItem struct {
	V    int    `json:"v"`
	Kid  string `json:"kid"`
	Kind string `json:"kind"` // round, report or cards
	ID   string `json:"id"`
	EPK  string `json:"epk"`
	IV   string `json:"iv"`
	CT   string `json:"ct"`
}

// SealedAAD is the associated data a sealed item is bound to: the scheme's
// version, the desk key, the device that sealed it, its kind and id. An
// item copied to another device's sync, or relabelled, does not open.
func SealedAAD(kid, device, kind, id string) []byte {
	return []byte("gehoord/sealed/v1|" + kid + "|" + device + "|" + kind + "|" + id)
}

// DeskOpener opens sealed items with the desk's private key (seal.Desk).
type DeskOpener interface {
	Open(kid string, epk, iv, ct, aad []byte) ([]byte, error)
}

// SyncResponse has one result per item of each array, in order.
type SyncResponse struct {
	Results []ItemResult `json:"results"`
	Cards   []ItemResult `json:"cards"`
	Rounds  []ItemResult `json:"rounds"`
	Sealed  []ItemResult `json:"sealed"`
	// DeskKid names the desk key tablets seal to now: a tablet holding
	// another (the desk's key was rotated) fetches the new one, so nothing
	// it seals later depends on the old key staying in the ring.
	DeskKid string `json:"desk_kid,omitempty"`
}

// ItemResult is the outcome for one item.
type ItemResult struct {
	ID        string      `json:"id"`
	Result    string      `json:"result"`
	Reference string      `json:"reference,omitempty"`
	Errors    []ItemError `json:"errors,omitempty"`
}

// ItemError is one translated problem with an item: Detail in the item's
// language (hers), Staff in the worker's when she sent hers.
type ItemError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
	Staff  string `json:"staff,omitempty"`
}

// IntakeResult is what the case intake answers for one report.
type IntakeResult struct {
	Reference string
	Duplicate bool
}

// IntakeMade is what the case intake answers for one report of several:
// an Invalid or Malformed fault for input the worker must fix (a
// conflicting repeat of an id included); any other error is the server
// failing.
type IntakeMade struct {
	IntakeResult
	Err error
}

// Intake creates the cases of report bodies on behalf of a device, and
// answers each in its place. The reports' ids differ.
type Intake interface {
	SubmitAll(ctx context.Context, reports []json.RawMessage, dev Device) []IntakeMade
}

// Translator turns a catalog key into text in a language.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Syncer runs sync batches.
type Syncer struct {
	intake Intake
	rounds *Rounds
	tr     Translator
	desk   DeskOpener
}

// NewSyncer builds the sync service; desk opens sealed items (without it,
// nil, they are rejected).
func NewSyncer(intake Intake, rounds *Rounds, tr Translator, desk DeskOpener) *Syncer {
	return &Syncer{intake: intake, rounds: rounds, tr: tr, desk: desk}
}

// item is one round, report or card count of a batch, plain or opened.
type item struct {
	id, lang string
	round    Round
	card     CardCount
	raw      json.RawMessage
	rej      *fault.Error // set when an item could not be read or a sealed one did not open
	out      *ItemResult
}

// Sync handles one batch from an authenticated device. A rejected item never
// stops the others. An error is returned only when the server itself fails
// (the database is gone, say): then the tablet keeps everything and tries
// again later, and what was already stored comes back as duplicate.
func (s *Syncer) Sync(ctx context.Context, dev Device, req SyncRequest) (SyncResponse, error) {
	if len(req.Reports)+len(req.Cards)+len(req.Rounds)+len(req.Sealed) > MaxBatch {
		return SyncResponse{}, ErrTooMany
	}
	resp := SyncResponse{
		Results: make([]ItemResult, len(req.Reports)),
		Cards:   make([]ItemResult, len(req.Cards)),
		Rounds:  make([]ItemResult, len(req.Rounds)),
		Sealed:  make([]ItemResult, len(req.Sealed)),
	}
	var rounds, reports, cards []item
	for i, r := range req.Rounds {
		rounds = append(rounds, item{id: r.ID, lang: r.Language, round: r, rej: req.badRounds[i], out: &resp.Rounds[i]})
	}
	for i, raw := range req.Reports {
		h := peek(raw)
		reports = append(reports, item{id: h.ID, lang: h.Language, raw: raw, out: &resp.Results[i]})
	}
	for i, c := range req.Cards {
		cards = append(cards, item{id: c.ID, lang: c.Language, card: c, rej: req.badCards[i], out: &resp.Cards[i]})
	}
	// Sealed items are opened here, on arrival, and never before: the
	// tablet cannot read them, and nothing of them is stored sealed.
	for i, si := range req.Sealed {
		it := item{id: si.ID, rej: req.badSealed[i]}
		if it.rej == nil {
			it = s.open(dev, si)
		}
		it.out = &resp.Sealed[i]
		switch si.Kind {
		case "round":
			rounds = append(rounds, it)
		case "cards":
			cards = append(cards, it)
		default:
			reports = append(reports, it)
		}
	}
	// Rounds first: reports and card counts point at them.
	for _, it := range rounds {
		var dup bool
		var err error
		if it.rej != nil {
			err = it.rej
		} else {
			dup, err = s.rounds.SaveRound(ctx, dev, it.round)
		}
		if err := s.result(it, req.Language, "", dup, err); err != nil {
			return SyncResponse{}, err
		}
	}
	if err := s.submitAll(ctx, dev, req.Language, reports); err != nil {
		return SyncResponse{}, err
	}
	for _, it := range cards {
		var dup bool
		var err error
		if it.rej != nil {
			err = it.rej
		} else {
			dup, err = s.rounds.SaveCards(ctx, dev, it.card)
		}
		if err := s.result(it, req.Language, "", dup, err); err != nil {
			return SyncResponse{}, err
		}
	}
	return resp, nil
}

// submitAll creates the reports' cases, all at once (the intake uses
// every core and stores them in groups). Reports that share an id go in
// turn, in batch order: the first is the one created and the later ones
// are its repeats, as when the batch ran one by one. The first server
// error stops the rest.
func (s *Syncer) submitAll(ctx context.Context, dev Device, lang string, reports []item) error {
	// turns[k]: the k-th report of each id.
	var turns [][]item
	seen := map[string]int{}
	for _, it := range reports {
		var err error
		switch {
		case it.rej != nil:
			err = it.rej
		case it.id == "":
			err = fault.InvalidField("id", "error.field.id")
		default:
			k := seen[it.id]
			seen[it.id]++
			if k == len(turns) {
				turns = append(turns, nil)
			}
			turns[k] = append(turns[k], it)
			continue
		}
		if err := s.result(it, lang, "", false, err); err != nil {
			return err
		}
	}
	for _, turn := range turns {
		raws := make([]json.RawMessage, len(turn))
		for i, it := range turn {
			raws[i] = it.raw
		}
		made := s.intake.SubmitAll(ctx, raws, dev)
		for i, it := range turn {
			if err := s.result(it, lang, made[i].Reference, made[i].Duplicate, made[i].Err); err != nil {
				return err
			}
		}
	}
	return nil
}

// open opens a sealed item bound to this device. One that does not open
// (another device's, tampered, an unknown key) or whose content names
// another id is rejected, and the tablet keeps it.
func (s *Syncer) open(dev Device, si SealedItem) item {
	id := si.ID
	if len(id) > 64 {
		id = id[:64]
	}
	it := item{id: id}
	bad := func() item { it.rej = fault.InvalidField("sealed", "app.error.sealed"); return it }
	if s.desk == nil || si.V != 1 || (si.Kind != "round" && si.Kind != "report" && si.Kind != "cards") {
		return bad()
	}
	epk, e1 := base64.RawURLEncoding.DecodeString(si.EPK)
	iv, e2 := base64.RawURLEncoding.DecodeString(si.IV)
	ct, e3 := base64.RawURLEncoding.DecodeString(si.CT)
	if e1 != nil || e2 != nil || e3 != nil {
		return bad()
	}
	// Bound to this device, or to an earlier registration of this tablet.
	var plain []byte
	var err error
	for _, id := range append([]string{dev.ID}, dev.Predecessors...) {
		if plain, err = s.desk.Open(si.Kid, epk, iv, ct, SealedAAD(si.Kid, id, si.Kind, si.ID)); err == nil {
			break
		}
	}
	if err != nil {
		return bad()
	}
	switch si.Kind {
	case "round":
		if jsonin.Decode(plain, &it.round) != nil || it.round.ID != si.ID {
			return bad()
		}
		it.lang = it.round.Language
	case "cards":
		if jsonin.Decode(plain, &it.card) != nil || it.card.ID != si.ID {
			return bad()
		}
		it.lang = it.card.Language
	default:
		h := peek(plain)
		if h.ID != si.ID {
			return bad()
		}
		it.raw, it.lang = plain, h.Language
	}
	return it
}

// syncItems counts the items tablets synced by their result: created,
// duplicate (stored before) or rejected (the tablet keeps it).
var syncItems = metrics.NewCounter("gehoord_sync_items_total", "Items synced from tablets (rounds, reports, card counts), by result.", "result")

func (s *Syncer) result(it item, staffLang, ref string, dup bool, err error) error {
	rej, isRejected := rejected(err)
	switch {
	case isRejected:
		*it.out = ItemResult{ID: it.id, Result: Rejected, Errors: s.translate(it.lang, staffLang, rej)}
	case err != nil:
		return fmt.Errorf("outreach: sync item %s: %w", it.id, err)
	case dup:
		*it.out = ItemResult{ID: it.id, Result: Duplicate, Reference: ref}
	default:
		*it.out = ItemResult{ID: it.id, Result: Created, Reference: ref}
	}
	syncItems.With(it.out.Result).Inc()
	return nil
}

// translate words a rejection for the tablet, at the last moment: each
// field's problem (or the fault's own, when it names none) in her language,
// and in the worker's.
func (s *Syncer) translate(lang, staffLang string, rej *fault.Error) []ItemError {
	if lang == "" {
		lang = "nl"
	}
	if staffLang != "nl" && staffLang != "en" {
		staffLang = ""
	}
	fields := rej.Fields
	if len(fields) == 0 {
		fields = []fault.Field{{Key: rej.Key, Args: rej.Args}}
	}
	out := make([]ItemError, 0, len(fields))
	for _, f := range fields {
		e := ItemError{Field: f.Field, Detail: f.Key}
		if s.tr != nil {
			e.Detail = s.tr.T(lang, f.Key, f.Args...)
			if staffLang != "" {
				e.Staff = s.tr.T(staffLang, f.Key, f.Args...)
			}
		}
		out = append(out, e)
	}
	return out
}

type itemHead struct{ ID, Language string }

// peek reads the id and language of an item without judging the rest; an
// item that is not even an object still gets a (rejected) result, and an
// id of the wrong type comes back as its JSON text, so the tablet can tell
// which item it was.
func peek(raw json.RawMessage) itemHead {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &m) != nil {
		return itemHead{}
	}
	var h itemHead
	if id, ok := m["id"]; ok && json.Unmarshal(id, &h.ID) != nil {
		h.ID = string(bytes.TrimSpace(id))
	}
	if l, ok := m["language"]; ok {
		_ = json.Unmarshal(l, &h.Language)
	}
	if len(h.ID) > 64 {
		h.ID = h.ID[:64]
	}
	if len(h.Language) > 8 {
		h.Language = ""
	}
	return h
}
