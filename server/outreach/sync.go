package outreach

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
// intake, so the two paths cannot drift apart.
type SyncRequest struct {
	Reports []json.RawMessage `json:"reports"`
	Cards   []CardCount       `json:"cards,omitempty"`
	Rounds  []Round           `json:"rounds,omitempty"`

	// Items that could not be read as their kind (a count sent as a
	// string, a number as an id), by index: rejected alone.
	badCards, badRounds map[int]*Rejection
}

// UnmarshalJSON reads a batch item by item: an item of the wrong shape is
// rejected on its own, naming its field, and the rest of the batch is
// stored (the contract: a rejected item never blocks the others).
func (r *SyncRequest) UnmarshalJSON(b []byte) error {
	var raw struct {
		Reports []json.RawMessage `json:"reports"`
		Cards   []json.RawMessage `json:"cards"`
		Rounds  []json.RawMessage `json:"rounds"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = SyncRequest{Reports: raw.Reports}
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

func setRejection(m map[int]*Rejection, i int, rej *Rejection) map[int]*Rejection {
	if m == nil {
		m = map[int]*Rejection{}
	}
	m[i] = rej
	return m
}

// decodeItem reads one item; a value of the wrong type is a rejection that
// names the field.
func decodeItem(m json.RawMessage, v any) *Rejection {
	err := json.Unmarshal(m, v)
	if err == nil {
		return nil
	}
	return typeRejection(err)
}

func typeRejection(err error) *Rejection {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return reject("", "error.bad_request")
	}
	switch te.Field {
	case "id", "round":
		return reject(te.Field, "app.error.id")
	case "count":
		return reject(te.Field, "app.error.count")
	}
	return reject(te.Field, "app.error.type")
}

// SyncResponse has one result per item of each array, in order.
type SyncResponse struct {
	Results []ItemResult `json:"results"`
	Cards   []ItemResult `json:"cards"`
	Rounds  []ItemResult `json:"rounds"`
}

// ItemResult is the outcome for one item.
type ItemResult struct {
	ID        string      `json:"id"`
	Result    string      `json:"result"`
	Reference string      `json:"reference,omitempty"`
	Errors    []ItemError `json:"errors,omitempty"`
}

// ItemError is one translated problem with an item.
type ItemError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// FieldError is an untranslated problem: a field and a catalog key.
type FieldError struct {
	Field string
	Key   string
	Args  []any // name, value pairs for the catalog's placeholders
}

// Rejection is returned by Intake or CardCounter when an item cannot be
// accepted as sent; any other error is treated as the server failing.
type Rejection struct {
	Fields []FieldError
}

func (r *Rejection) Error() string {
	keys := make([]string, 0, len(r.Fields))
	for _, f := range r.Fields {
		keys = append(keys, f.Field+":"+f.Key)
	}
	return "outreach: rejected: " + strings.Join(keys, ", ")
}

func reject(field, key string, args ...any) *Rejection {
	return &Rejection{Fields: []FieldError{{Field: field, Key: key, Args: args}}}
}

// IntakeResult is what the case intake answers for one report.
type IntakeResult struct {
	Reference string
	Duplicate bool
}

// Intake creates one case from a report body on behalf of a device. It
// returns a *Rejection for invalid input or a conflicting repeat of an id.
type Intake interface {
	Submit(ctx context.Context, report json.RawMessage, dev Device) (IntakeResult, error)
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
}

// NewSyncer builds the sync service.
func NewSyncer(intake Intake, rounds *Rounds, tr Translator) *Syncer {
	return &Syncer{intake: intake, rounds: rounds, tr: tr}
}

// Sync handles one batch from an authenticated device. A rejected item never
// stops the others. An error is returned only when the server itself fails
// (the database is gone, say): then the tablet keeps everything and tries
// again later, and what was already stored comes back as duplicate.
func (s *Syncer) Sync(ctx context.Context, dev Device, req SyncRequest) (SyncResponse, error) {
	if len(req.Reports)+len(req.Cards)+len(req.Rounds) > MaxBatch {
		return SyncResponse{}, ErrTooMany
	}
	resp := SyncResponse{
		Results: make([]ItemResult, 0, len(req.Reports)),
		Cards:   make([]ItemResult, 0, len(req.Cards)),
		Rounds:  make([]ItemResult, 0, len(req.Rounds)),
	}
	// Rounds first: reports and card counts point at them.
	for i, r := range req.Rounds {
		var dup bool
		var err error
		if rej := req.badRounds[i]; rej != nil {
			err = rej
		} else {
			dup, err = s.rounds.SaveRound(ctx, dev, r)
		}
		res, err := s.result(r.ID, r.Language, "", dup, err)
		if err != nil {
			return SyncResponse{}, err
		}
		resp.Rounds = append(resp.Rounds, res)
	}
	for _, raw := range req.Reports {
		head := peek(raw)
		var ir IntakeResult
		var err error
		if head.ID == "" {
			err = reject("id", "error.field.id")
		} else {
			ir, err = s.intake.Submit(ctx, raw, dev)
		}
		res, err := s.result(head.ID, head.Language, ir.Reference, ir.Duplicate, err)
		if err != nil {
			return SyncResponse{}, err
		}
		resp.Results = append(resp.Results, res)
	}
	for i, c := range req.Cards {
		var dup bool
		var err error
		if rej := req.badCards[i]; rej != nil {
			err = rej
		} else {
			dup, err = s.rounds.SaveCards(ctx, dev, c)
		}
		res, err := s.result(c.ID, c.Language, "", dup, err)
		if err != nil {
			return SyncResponse{}, err
		}
		resp.Cards = append(resp.Cards, res)
	}
	return resp, nil
}

func (s *Syncer) result(id, lang, ref string, dup bool, err error) (ItemResult, error) {
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		return ItemResult{ID: id, Result: Rejected, Errors: s.translate(lang, rej)}, nil
	case err != nil:
		return ItemResult{}, fmt.Errorf("outreach: sync item %s: %w", id, err)
	case dup:
		return ItemResult{ID: id, Result: Duplicate, Reference: ref}, nil
	default:
		return ItemResult{ID: id, Result: Created, Reference: ref}, nil
	}
}

func (s *Syncer) translate(lang string, rej *Rejection) []ItemError {
	if lang == "" {
		lang = "nl"
	}
	out := make([]ItemError, 0, len(rej.Fields))
	for _, f := range rej.Fields {
		detail := f.Key
		if s.tr != nil {
			detail = s.tr.T(lang, f.Key, f.Args...)
		}
		out = append(out, ItemError{Field: f.Field, Detail: detail})
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
