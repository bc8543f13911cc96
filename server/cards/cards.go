// Package cards holds the QR cards outreach workers hand out: batches of
// cards with their own short codes, the daily scan and hand-out counts per
// batch, and the QR symbols printed on them. It knows nothing about HTTP.
//
// What is stored about a scan is deliberately poor: one counter per batch
// per day. No address, no time of day, no device, no card: a batch and a
// date cannot point to a person.
package cards

import (
	"context"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/store"
)

// Collections.
const (
	batchesColl  = "card_batches"
	cardsColl    = "cards"         // one document per card: _id = code, batch
	scansColl    = "card_scans"    // _id = batch/YYYY-MM-DD, n
	handedColl   = "card_handouts" // _id = count/<key>, batch, day, n (older: batch/YYYY-MM-DD)
	batchCounter = "card_batches"
)

// Limits.
const (
	MaxCount    = 2000 // cards in one batch
	MaxLabel    = 120
	MaxHandout  = 10000 // cards one count may add
	CardsOnPage = 10    // cards on one A4 sheet (2 × 5)
)

// Errors: faults with the message a page or the outreach app shows.
var (
	// ErrNotFound: no such batch or card.
	ErrNotFound = fault.New(fault.NotFound, "error.not_found", "cards: not found")
	// ErrUnknownBatch: AddHandedOut was given neither a batch id nor a card code it knows.
	ErrUnknownBatch = fault.New(fault.Invalid, "app.error.batch", "cards: unknown batch")
	// ErrInvalidCount: AddHandedOut was given a count out of range.
	ErrInvalidCount = fault.New(fault.Invalid, "app.error.count", "cards: invalid count")
)

// Variant is the text printed on a card. The set is short on purpose: each
// variant is one line that must exist in every public language.
type Variant string

// The card text variants.
const (
	// VariantPlain: the everyday card ("Something not right? Tell us.").
	VariantPlain Variant = "plain"
	// VariantEvening: for evening and night rounds (windows, tippelzone):
	// says she can report whenever it suits her.
	VariantEvening Variant = "evening"
	// VariantOnline: for escorts and home workers reached online: says it
	// works from her phone.
	VariantOnline Variant = "online"
)

// Variants lists the card text variants in the order forms offer them.
var Variants = []Variant{VariantPlain, VariantEvening, VariantOnline}

// LineKey is the catalog key of a variant's line on the card. Keys are
// spelled out so the catalog test sees them used.
func (v Variant) LineKey() string {
	switch v {
	case VariantEvening:
		return "cards.line.evening"
	case VariantOnline:
		return "cards.line.online"
	}
	return "cards.line.plain"
}

// NameKey is the catalog key naming the variant on staff pages.
func (v Variant) NameKey() string {
	switch v {
	case VariantEvening:
		return "cards.variant.evening"
	case VariantOnline:
		return "cards.variant.online"
	}
	return "cards.variant.plain"
}

// Config builds a Service.
type Config struct {
	Store *store.Store
	// Cases counts the cases that came in per batch; nil asks the
	// cases' queries on Store.
	Cases CaseCounter
	// Languages a batch may have; the public languages.
	Languages []string
	Logger    *slog.Logger
	// Now is replaced in tests.
	Now func() time.Time
}

// CaseCounter counts the cases per card batch (*cases.Queries): the cases
// are the cases package's to read.
type CaseCounter interface {
	CountByBatch(ctx context.Context, batches []string) (map[string]int, error)
}

// Service creates batches and counts scans and hand-outs.
type Service struct {
	st    *store.Store
	cases CaseCounter
	langs []string
	log   *slog.Logger
	now   func() time.Time
}

// DefaultLanguages are the public languages, used when Config has none.
var DefaultLanguages = cases.PublicLanguages

// NewService returns the card service.
func NewService(c Config) *Service {
	s := &Service{st: c.Store, cases: c.Cases, langs: c.Languages, log: c.Logger, now: c.Now}
	if s.cases == nil {
		s.cases = cases.NewQueries(c.Store)
	}
	if len(s.langs) == 0 {
		s.langs = DefaultLanguages
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	return s
}

// Indexes are the indexes the service needs. Card codes are unique through
// the _id of the cards collection.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: cardsColl, Keys: bson.D{{Key: "batch", Value: 1}, {Key: "n", Value: 1}}, Name: "batch_n"},
		{Collection: batchesColl, Keys: bson.D{{Key: "created_at", Value: -1}}, Name: "created"},
		{Collection: scansColl, Keys: bson.D{{Key: "batch", Value: 1}}, Name: "batch"},
		{Collection: handedColl, Keys: bson.D{{Key: "batch", Value: 1}}, Name: "batch"},
	}
}
