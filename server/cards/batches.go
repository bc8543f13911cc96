package cards

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/store"
)

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
