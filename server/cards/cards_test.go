package cards_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cards/cardstest"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func newService(t *testing.T) (*cards.Service, *store.Store) {
	t.Helper()
	st := storetest.New(t)
	if err := st.EnsureIndexes(context.Background(), cards.Indexes()...); err != nil {
		t.Fatal(err)
	}
	return cards.NewService(cards.Config{Store: st}), st
}

func mustCreate(t *testing.T, s *cards.Service, nb cards.NewBatch) *cards.Batch {
	t.Helper()
	if nb.Label == "" {
		nb.Label = "Utrecht Zandpad, winter round"
	}
	if nb.Language == "" {
		nb.Language = "ro"
	}
	if nb.Variant == "" {
		nb.Variant = cards.VariantEvening
	}
	b, err := s.Create(context.Background(), nb, "user-1")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return b
}

func TestCodesUseOnlyTheAlphabet(t *testing.T) {
	for range 2000 {
		c := cards.NewCode()
		if len(c) != cards.CodeLen {
			t.Fatalf("code %q has length %d", c, len(c))
		}
		for _, r := range c {
			if !strings.ContainsRune(cards.Alphabet, r) {
				t.Fatalf("code %q has %q, not in the alphabet", c, r)
			}
		}
		if !cards.Valid(c) {
			t.Fatalf("code %q not valid", c)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"7k2m9qxa":    "7K2M9QXA",
		"7K2M-9QXA":   "7K2M9QXA",
		" 7k2m 9qxa ": "7K2M9QXA",
		"OIL23456":    "01123456",
		"oil2-3456":   "01123456",
		"7K2M9QX":     "", // too short
		"7K2M9QXAB":   "", // too long
		"7K2M9QXU":    "", // U is not in the alphabet
		"7K2M9QX!":    "",
		"7K2M9QXÄ":    "",
		"":            "",
	} {
		if got := cards.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCreateMakesUniqueCodesAcrossBatches(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	seen := map[string]string{}
	var ids []string
	for i, n := range []int{300, 1, 260} {
		b := mustCreate(t, s, cards.NewBatch{Count: n, Area: "Utrecht"})
		ids = append(ids, b.ID)
		codes, err := s.Codes(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != n {
			t.Fatalf("batch %d: %d codes, want %d", i, len(codes), n)
		}
		for _, c := range codes {
			if !cards.Valid(c) {
				t.Fatalf("code %q is not a valid code", c)
			}
			if other, dup := seen[c]; dup {
				t.Fatalf("code %q in batch %s and %s", c, other, b.ID)
			}
			seen[c] = b.ID
		}
	}
	if len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("batch ids %v not distinct", ids)
	}
	total, err := st.C("cards").CountDocuments(ctx, bson.D{})
	if err != nil || total != 561 {
		t.Fatalf("cards stored = %d (%v), want 561", total, err)
	}
	b, err := s.Get(ctx, strings.ToLower(ids[0]))
	if err != nil || b.Region != "Utrecht" || b.Count != 300 || b.Language != "ro" || b.Variant != cards.VariantEvening {
		t.Fatalf("get batch = %+v, %v", b, err)
	}
}

func TestCreateRedrawsACollidingCode(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	first := mustCreate(t, s, cards.NewBatch{Count: 3})
	taken, _ := s.Codes(ctx, first.ID)
	// The next batch draws an existing code at its second card.
	restore := cards.SetNewCode(func() func() string {
		i := 0
		return func() string {
			i++
			if i == 2 {
				return taken[1]
			}
			return cards.NewCode()
		}
	}())
	defer restore()
	b := mustCreate(t, s, cards.NewBatch{Count: 4})
	codes, err := s.Codes(ctx, b.ID)
	if err != nil || len(codes) != 4 {
		t.Fatalf("codes %v %v", codes, err)
	}
	for _, c := range codes {
		if slices.Contains(taken, c) {
			t.Fatalf("code %s reused", c)
		}
	}
	if got, _ := s.BatchOf(ctx, taken[1]); got != first.ID {
		t.Fatalf("colliding code moved to %s", got)
	}
}

func TestValidate(t *testing.T) {
	s, _ := newService(t)
	_, err := s.Create(context.Background(), cards.NewBatch{Label: " ", Count: 0, Language: "xx", Variant: "loud", Area: "Atlantis"}, "u")
	ve, ok := fault.As(err)
	if !ok || ve.Code != fault.Invalid {
		t.Fatalf("want ValidationError, got %v", err)
	}
	for _, f := range []string{"label", "count", "language", "variant", "area"} {
		if ve.FieldKeys()[f] == "" {
			t.Errorf("no error for %s: %v", f, ve.Fields)
		}
	}
	if _, err := s.Create(context.Background(), cards.NewBatch{Label: "x", Count: cards.MaxCount + 1, Language: "nl", Variant: "plain"}, "u"); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("too many cards accepted")
	}
	reg, muni, err := s.Validate(cards.NewBatch{Label: "x", Count: 1, Language: "nl", Variant: "plain", Area: "den haag"})
	if err != nil || muni != "'s-Gravenhage" || reg != "Haaglanden" {
		t.Fatalf("area den haag -> %q %q %v", reg, muni, err)
	}
	reg, muni, err = s.Validate(cards.NewBatch{Label: "x", Count: 1, Language: "nl", Variant: "online"})
	if err != nil || reg != "" || muni != "" {
		t.Fatalf("national batch -> %q %q %v", reg, muni, err)
	}
}

func TestScanCountsPerDayAndStoresNothingElse(t *testing.T) {
	_, st := newService(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC) // already the 28th in Amsterdam
	s := cards.NewService(cards.Config{Store: st, Now: func() time.Time { return now }})
	b := mustCreate(t, s, cards.NewBatch{Count: 2})
	codes, _ := s.Codes(ctx, b.ID)

	for _, typed := range []string{codes[0], strings.ToLower(codes[1]), codes[0][:4] + "-" + codes[0][4:]} {
		got, ok, err := s.Scan(ctx, typed)
		if err != nil || !ok || got.ID != b.ID {
			t.Fatalf("scan %q = %v %v %v", typed, got, ok, err)
		}
	}
	var docs []bson.M
	cur, err := st.C("card_scans").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("scan documents: %v", docs)
	}
	d := docs[0]
	if d["_id"] != b.ID+"/2026-11-28" || d["batch"] != b.ID || d["day"] != "2026-11-28" || toInt(d["n"]) != 3 {
		t.Fatalf("scan document %v", d)
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// _rev is the store's revision: it counts writes, as n does.
	if !slices.Equal(keys, []string{"_id", "_rev", "batch", "day", "n"}) {
		t.Fatalf("scan document holds %v; only _id, _rev, batch, day, n allowed", keys)
	}

	// Unknown and malformed codes store nothing.
	for _, code := range []string{"ZZZZZZZZ", "nonsense", ""} {
		if got, ok, err := s.Scan(ctx, code); ok || got != nil || err != nil {
			t.Fatalf("scan %q = %v %v %v", code, got, ok, err)
		}
	}
	if n, _ := st.C("card_scans").CountDocuments(ctx, bson.D{}); n != 1 {
		t.Fatalf("unknown codes stored scans: %d documents", n)
	}
	stats, err := s.Stats(ctx)
	if err != nil || len(stats) != 1 || stats[0].Scans != 3 {
		t.Fatalf("stats %+v %v", stats, err)
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int32:
		return int(n)
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return -1
}

func TestBatchOf(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	b := mustCreate(t, s, cards.NewBatch{Count: 1})
	codes, _ := s.Codes(ctx, b.ID)
	if got, err := s.BatchOf(ctx, strings.ToLower(codes[0])); err != nil || got != b.ID {
		t.Fatalf("BatchOf = %q %v", got, err)
	}
	for _, c := range []string{"ZZZZZZZZ", "x", ""} {
		if got, err := s.BatchOf(ctx, c); err != nil || got != "" {
			t.Fatalf("BatchOf(%q) = %q %v", c, got, err)
		}
	}
}

func TestHandedOutPrintedCasesInStats(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	a := mustCreate(t, s, cards.NewBatch{Count: 25, Label: "A"})
	b := mustCreate(t, s, cards.NewBatch{Count: 10, Label: "B"})
	codesB, _ := s.Codes(ctx, b.ID)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

	if err := s.AddHandedOut(ctx, a.ID, 7, day, "count-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHandedOut(ctx, strings.ToLower(a.ID), 3, day.AddDate(0, 0, 1), "count-2"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHandedOut(ctx, codesB[4], 2, day, "count-3"); err != nil { // a card code names its batch
		t.Fatal(err)
	}
	if err := s.AddHandedOut(ctx, "B999", 1, day, "count-4"); !errors.Is(err, cards.ErrUnknownBatch) {
		t.Fatalf("unknown batch: %v", err)
	}
	if err := s.AddHandedOut(ctx, a.ID, 0, day, "count-5"); !errors.Is(err, cards.ErrInvalidCount) {
		t.Fatalf("zero count: %v", err)
	}
	if err := s.MarkPrinted(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	// Cases as the case package stores them: a batch field, "" without card.
	_, err := st.C("cases").InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: "c1"}, {Key: "batch", Value: a.ID}},
		bson.D{{Key: "_id", Value: "c2"}, {Key: "batch", Value: a.ID}},
		bson.D{{Key: "_id", Value: "c3"}, {Key: "batch", Value: b.ID}},
		bson.D{{Key: "_id", Value: "c4"}, {Key: "batch", Value: ""}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Scan(ctx, codesB[0]); err != nil {
		t.Fatal(err)
	}
	stats, err := s.Stats(ctx)
	if err != nil || len(stats) != 2 {
		t.Fatalf("stats %v %v", stats, err)
	}
	by := map[string]cards.BatchStats{}
	for _, x := range stats {
		by[x.Batch.ID] = x
	}
	if x := by[a.ID]; x.Printed != 25 || x.HandedOut != 10 || x.Scans != 0 || x.Cases != 2 || x.Batch.PrintedAt.IsZero() {
		t.Errorf("batch A stats %+v", x)
	}
	if x := by[b.ID]; x.Printed != 0 || x.HandedOut != 2 || x.Scans != 1 || x.Cases != 1 {
		t.Errorf("batch B stats %+v", x)
	}
}

func TestQRDecodesToTheCardURL(t *testing.T) {
	const base = "https://gehoord.example.nl"
	code := cards.NewCode()
	want := base + "/c/" + code
	if got := cards.URL(base+"/", code); got != want {
		t.Fatalf("URL = %q", got)
	}
	if got := cards.ShortAddress(base, code); got != "gehoord.example.nl/c/"+code {
		t.Fatalf("ShortAddress = %q", got)
	}
	q, err := cards.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	// The quiet zone (4 modules) is kept.
	for i := 0; i < 4; i++ {
		for j := 0; j < q.Size(); j++ {
			if q.Bitmap[i][j] || q.Bitmap[j][i] || q.Bitmap[q.Size()-1-i][j] || q.Bitmap[j][q.Size()-1-i] {
				t.Fatalf("module set in the quiet zone at %d,%d", i, j)
			}
		}
	}
	d, err := cardstest.DecodeSVG(q.SVG("address"))
	if err != nil || d.Text != want || d.Level != "Q" {
		t.Fatalf("SVG decodes to %+v, %v", d, err)
	}
	b, err := q.PNG(600)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 600 || w%q.Size() != 0 {
		t.Fatalf("PNG width %d: not ≥600 or not whole pixels per module (%d)", w, q.Size())
	}
	d, err = cardstest.DecodeImage(img)
	if err != nil || d.Text != want || d.Level != "Q" {
		t.Fatalf("PNG decodes to %+v, %v", d, err)
	}
}
