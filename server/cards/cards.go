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
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
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

// Batch is a set of cards made and printed together, e.g. for one round.
type Batch struct {
	ID           string    `bson:"_id"`
	Label        string    `bson:"label"`
	Count        int       `bson:"count"`
	Language     string    `bson:"language"`     // the default language of the form the card opens
	Region       string    `bson:"region"`       // safety region; "" = national / online
	Municipality string    `bson:"municipality"` // optional, within Region
	Variant      Variant   `bson:"variant"`
	CreatedBy    string    `bson:"created_by"` // staff user id
	CreatedAt    time.Time `bson:"created_at"`
	Printed      int       `bson:"printed"` // cards put on a printed sheet
	PrintedAt    time.Time `bson:"printed_at,omitempty"`
	PrintRuns    int       `bson:"print_runs"` // how often the sheet was opened for printing
}

// Area is the municipality, else the region, else "".
func (b Batch) Area() string {
	if b.Municipality != "" {
		return b.Municipality
	}
	return b.Region
}

// NewBatch is what a coordinator fills in.
type NewBatch struct {
	Label    string
	Count    int
	Language string
	Area     string // a safety region or a municipality, or "" for national
	Variant  Variant
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
var DefaultLanguages = []string{"nl", "en", "ro", "bg", "hu", "pl", "es", "pt", "ru", "uk", "th", "zh"}

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

// Day is the Dutch calendar date of t, the only time a count keeps.
func Day(t time.Time) string { return t.In(workdays.Amsterdam).Format("2006-01-02") }

// Validate checks a new batch and resolves its area to region and
// municipality.
func (s *Service) Validate(nb NewBatch) (region, municipality string, err error) {
	var bad []fault.Field
	label := strings.TrimSpace(nb.Label)
	switch {
	case label == "":
		bad = append(bad, fault.Field{Field: "label", Key: "cards.error.label"})
	case utf8.RuneCountInString(label) > MaxLabel:
		bad = append(bad, fault.Field{Field: "label", Key: "cards.error.label_long"})
	}
	if nb.Count < 1 || nb.Count > MaxCount {
		bad = append(bad, fault.Field{Field: "count", Key: "cards.error.count", Args: []any{"max", MaxCount}})
	}
	if !slices.Contains(s.langs, nb.Language) {
		bad = append(bad, fault.Field{Field: "language", Key: "cards.error.language"})
	}
	if !slices.Contains(Variants, nb.Variant) {
		bad = append(bad, fault.Field{Field: "variant", Key: "cards.error.variant"})
	}
	if a := strings.TrimSpace(nb.Area); a != "" {
		if r, ok := socialmap.CanonicalRegion(a); ok {
			region = r
		} else if m, ok := socialmap.LookupMunicipality(a); ok {
			region, municipality = m.Region, m.Name
		} else {
			bad = append(bad, fault.Field{Field: "area", Key: "cards.error.area"})
		}
	}
	if len(bad) > 0 {
		return "", "", fault.Validation(bad...)
	}
	return region, municipality, nil
}

// Create makes a batch and its cards. It returns a fault.Validation for bad
// input. The cards are stored before the batch, so a batch that shows up is
// always complete; an interrupted Create leaves only unreachable codes.
func (s *Service) Create(ctx context.Context, nb NewBatch, createdBy string) (*Batch, error) {
	region, muni, err := s.Validate(nb)
	if err != nil {
		return nil, err
	}
	seq, err := s.st.NextSequence(ctx, batchCounter)
	if err != nil {
		return nil, fmt.Errorf("cards: number batch: %w", err)
	}
	b := &Batch{
		ID:    fmt.Sprintf("B%03d", seq),
		Label: strings.TrimSpace(nb.Label), Count: nb.Count, Language: nb.Language,
		Region: region, Municipality: muni, Variant: nb.Variant,
		CreatedBy: createdBy, CreatedAt: s.now(),
	}
	if err := s.insertCards(ctx, b.ID, nb.Count); err != nil {
		return nil, err
	}
	if err := s.st.Insert(ctx, batchesColl, b); err != nil {
		return nil, fmt.Errorf("cards: store batch: %w", err)
	}
	return b, nil
}

// insertCards stores n fresh codes for a batch. A code that already exists
// (a one-in-a-trillion chance per card) is drawn again.
func (s *Service) insertCards(ctx context.Context, batch string, n int) error {
	const chunk = 250
	docs := make([]any, 0, chunk)
	for start := 0; start < n; start += chunk {
		docs = docs[:0]
		for i := start; i < min(start+chunk, n); i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: newCode()}, {Key: "batch", Value: batch}, {Key: "n", Value: i}})
		}
		for tries := 0; len(docs) > 0; tries++ {
			err := s.st.InsertAll(ctx, cardsColl, docs) // ordered: stops at the first failure
			if err == nil {
				break
			}
			var bwe mongo.BulkWriteException
			if tries > 5 || !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 || !store.IsDuplicate(err) {
				return fmt.Errorf("cards: store cards: %w", err)
			}
			// Everything before the failed one is in; redraw it and go on.
			at := bwe.WriteErrors[0].Index
			d := docs[at].(bson.D)
			d[0].Value = newCode()
			docs = docs[at:]
		}
	}
	return nil
}

// Get returns a batch by id (case does not matter).
func (s *Service) Get(ctx context.Context, id string) (*Batch, error) {
	var b Batch
	err := s.st.C(batchesColl).FindOne(ctx, bson.D{{Key: "_id", Value: strings.ToUpper(strings.TrimSpace(id))}}).Decode(&b)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cards: get batch: %w", err)
	}
	return &b, nil
}

// List returns every batch, newest first.
func (s *Service) List(ctx context.Context) ([]Batch, error) {
	cur, err := s.st.C(batchesColl).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("cards: list batches: %w", err)
	}
	var out []Batch
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("cards: list batches: %w", err)
	}
	return out, nil
}

// Codes returns the card codes of a batch in print order.
func (s *Service) Codes(ctx context.Context, batchID string) ([]string, error) {
	cur, err := s.st.C(cardsColl).Find(ctx, bson.D{{Key: "batch", Value: batchID}},
		options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("cards: list codes: %w", err)
	}
	var docs []struct {
		Code string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("cards: list codes: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Code
	}
	return out, nil
}

// BatchOf returns the batch id of a card code, normalising what was typed;
// "" (and no error) for a code nobody issued. The case intake calls it.
func (s *Service) BatchOf(ctx context.Context, code string) (string, error) {
	code = Normalize(code)
	if code == "" {
		return "", nil
	}
	var d struct {
		Batch string `bson:"batch"`
	}
	err := s.st.C(cardsColl).FindOne(ctx, bson.D{{Key: "_id", Value: code}}).Decode(&d)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cards: look up card: %w", err)
	}
	return d.Batch, nil
}

// Card returns the batch of a card code; ErrNotFound when no batch has it.
func (s *Service) Card(ctx context.Context, code string) (*Batch, error) {
	id, err := s.BatchOf(ctx, code)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, ErrNotFound
	}
	return s.Get(ctx, id)
}

// Scan counts one scan of a card in its batch's count for today and returns
// the batch. An unknown code stores nothing and returns ok=false. Nothing
// about who scanned, or when within the day, is kept.
func (s *Service) Scan(ctx context.Context, code string) (*Batch, bool, error) {
	b, err := s.Card(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := s.inc(ctx, scansColl, b.ID, Day(s.now()), 1); err != nil {
		return b, true, err
	}
	return b, true, nil
}

// AddHandedOut adds n handed-out cards to a batch's count for day. ref is a
// batch id ("B007") or the code of any card of the batch, as typed. key
// names this count (the tablet's record id): the count is one document
// with that key, summed when read, so a count sent twice — in a retry, at
// the same moment, after a crash — is counted once.
// Returns ErrUnknownBatch or ErrInvalidCount for input it cannot take.
func (s *Service) AddHandedOut(ctx context.Context, ref string, n int, day time.Time, key string) error {
	if n < 1 || n > MaxHandout {
		return ErrInvalidCount
	}
	if key == "" {
		return fmt.Errorf("cards: a handout count needs its key")
	}
	id, err := s.resolve(ctx, ref)
	if err != nil {
		return err
	}
	err = s.st.Insert(ctx, handedColl, bson.D{
		{Key: "_id", Value: "count/" + key}, {Key: "batch", Value: id}, {Key: "day", Value: Day(day)}, {Key: "n", Value: int64(n)},
	})
	if err != nil && !store.IsDuplicate(err) {
		return fmt.Errorf("cards: count handed out: %w", err)
	}
	return nil
}

func (s *Service) resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if b, err := s.Get(ctx, ref); err == nil {
		return b.ID, nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	id, err := s.BatchOf(ctx, ref)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", ErrUnknownBatch
	}
	return id, nil
}

// inc adds n to a daily counter: one document per batch and day, so
// nothing finer than the day is kept, raised exactly however many scans
// arrive at once.
func (s *Service) inc(ctx context.Context, coll, batch, day string, n int) error {
	err := s.st.Upsert(ctx, coll, batch+"/"+day, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(n)}}},
		{Key: "$set", Value: bson.D{{Key: "batch", Value: batch}, {Key: "day", Value: day}}},
	})
	if err != nil {
		return fmt.Errorf("cards: count %s: %w", coll, err)
	}
	return nil
}

// MarkPrinted records that the batch's sheet was printed: all its cards
// count as printed, and the time and number of print runs are kept.
func (s *Service) MarkPrinted(ctx context.Context, id string) error {
	b, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.st.Update(ctx, batchesColl, bson.D{{Key: "_id", Value: b.ID}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "printed", Value: b.Count}, {Key: "printed_at", Value: s.now()}}},
		{Key: "$inc", Value: bson.D{{Key: "print_runs", Value: 1}}},
	})
	if err != nil {
		return fmt.Errorf("cards: mark printed: %w", err)
	}
	return nil
}

// BatchStats is one line of the batches overview.
type BatchStats struct {
	Batch     Batch
	Printed   int
	HandedOut int
	Scans     int
	Cases     int
}

// Stats returns every batch, newest first, with what became of its cards:
// printed, handed out (from the outreach app's counts), scanned, and cases
// filed with one of its codes.
func (s *Service) Stats(ctx context.Context) ([]BatchStats, error) {
	batches, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(batches) == 0 {
		return nil, nil
	}
	ids := make([]string, len(batches))
	for i, b := range batches {
		ids[i] = b.ID
	}
	scans, err := s.sumBy(ctx, scansColl, ids, "$n")
	if err != nil {
		return nil, err
	}
	handed, err := s.sumBy(ctx, handedColl, ids, "$n")
	if err != nil {
		return nil, err
	}
	made, err := s.cases.CountByBatch(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]BatchStats, len(batches))
	for i, b := range batches {
		out[i] = BatchStats{Batch: b, Printed: b.Printed, HandedOut: handed[b.ID], Scans: scans[b.ID], Cases: made[b.ID]}
	}
	return out, nil
}

// sumBy sums a value per batch over documents whose batch is one of ids.
func (s *Service) sumBy(ctx context.Context, coll string, ids []string, value any) (map[string]int, error) {
	cur, err := s.st.C(coll).Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: bson.D{{Key: "batch", Value: bson.D{{Key: "$in", Value: ids}}}}}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$batch"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: value}}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("cards: count %s: %w", coll, err)
	}
	var rows []struct {
		ID string `bson:"_id"`
		N  int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("cards: count %s: %w", coll, err)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.ID] = int(r.N)
	}
	return m, nil
}
