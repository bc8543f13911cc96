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
	for _, r := range req.Rounds {
		dup, err := s.rounds.SaveRound(ctx, dev, r)
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
	for _, c := range req.Cards {
		dup, err := s.rounds.SaveCards(ctx, dev, c)
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

type itemHead struct {
	ID       string `json:"id"`
	Language string `json:"language"`
}

// peek reads the id and language of a report without judging the rest; a
// report that is not even an object still gets a (rejected) result.
func peek(raw json.RawMessage) itemHead {
	var h itemHead
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &h) != nil {
		return itemHead{}
	}
	if len(h.ID) > 64 {
		h.ID = h.ID[:64]
	}
	if len(h.Language) > 8 {
		h.Language = ""
	}
	return h
}
