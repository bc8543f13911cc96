package cases

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/store"
)

// TestMunicipalityIsCodedWithItsRegion: a report names its municipality by
// CBS code or name (any case, spaces around), "online" or nothing; the case
// keeps the code and its safety region. Anything else is refused on the
// field, and no case is made.
func TestMunicipalityIsCodedWithItsRegion(t *testing.T) {
	svc, _, _ := newTestService(t)
	for in, want := range map[string][2]string{
		"amsterdam ":      {"GM0363", "Amsterdam-Amstelland"},
		"GM0518":          {"GM0518", "Haaglanden"},
		"'S-GRAVENHAGE":   {"GM0518", "Haaglanden"},
		"Den Haag":        {"GM0518", "Haaglanden"},
		"gm0344":          {"GM0344", "Utrecht"},
		"Súdwest-Fryslân": {"GM1900", "Fryslân"},
		"online":          {MunicipalityOnline, MunicipalityOnline},
		"unknown":         {MunicipalityUnknown, MunicipalityUnknown},
		"":                {MunicipalityUnknown, MunicipalityUnknown},
	} {
		r := newCase(t, svc, func(i *Input) { i.Municipality = in })
		c, err := svc.Get(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Municipality != want[0] || c.Region != want[1] {
			t.Errorf("%q stored as %q in %q, want %q in %q", in, c.Municipality, c.Region, want[0], want[1])
		}
	}
	for _, in := range []string{"Nergenshuizen", "Bergen", "Amsterdam-Noord", "GM9999", "the street by the station"} {
		_, err := svc.Create(t.Context(), Input{Kind: "complaint", Category: "police", Description: "x",
			Municipality: in, Wish: "heard", Language: "en", Identity: Identity{Mode: "anonymous"}}, ChannelAPI)
		if fault.CodeOf(err) != fault.Invalid || !slices.ContainsFunc(fault.FieldsOf(err), func(f fault.Field) bool {
			return f.Field == "municipality" && f.Key == "error.field.municipality"
		}) {
			t.Errorf("%q: %v, want a municipality field error", in, err)
		}
	}
	if n, err := svc.st.C(collectionCases).CountDocuments(t.Context(), bson.M{}); err != nil || n != 9 {
		t.Fatalf("%d cases, want 9 (%v)", n, err)
	}
}

// TestMunicipalityChoicesSortedForTheLanguage: the forms list every
// municipality once, "'s-Gravenhage" under G, in an order that is the
// collation order of every public language (so one list serves them all;
// a language that sorts these names otherwise fails here).
func TestMunicipalityChoicesSortedForTheLanguage(t *testing.T) {
	ms := MunicipalityChoices()
	if len(ms) != 342 {
		t.Fatalf("%d municipalities", len(ms))
	}
	at := map[string]int{}
	for i, m := range ms {
		at[m.Name] = i
	}
	if !(at["Goes"] < at["'s-Gravenhage"] && at["'s-Gravenhage"] < at["Groningen"] && at["Aa en Hunze"] == 0 && len(at) == 342) {
		t.Errorf("'s-Gravenhage at %d between Goes %d and Groningen %d; first %q", at["'s-Gravenhage"], at["Goes"], at["Groningen"], ms[0].Name)
	}
	for _, lang := range PublicLanguages {
		col := collate.New(language.Make(lang), collate.IgnoreCase)
		sorted := slices.Clone(ms)
		slices.SortStableFunc(sorted, func(a, b MunicipalityChoice) int {
			return col.CompareString(strings.TrimPrefix(a.Name, "'s-"), strings.TrimPrefix(b.Name, "'s-"))
		})
		for i := range ms {
			if ms[i] != sorted[i] {
				t.Errorf("%s sorts %q at %d, the list has %q", lang, sorted[i].Name, i, ms[i].Name)
				break
			}
		}
	}
}

// TestCodeMunicipalitiesMigratesFreeText: cases stored with free text get
// the code of the municipality it names, or "unknown", and the region; run
// again, or on two instances at once, nothing more changes.
func TestCodeMunicipalitiesMigratesFreeText(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	fresh := newCase(t, svc, func(i *Input) { i.Municipality = "Rotterdam" })
	legacy := map[string][2]string{
		"amsterdam ":               {"GM0363", "Amsterdam-Amstelland"},
		"Nergenshuizen":            {MunicipalityUnknown, MunicipalityUnknown},
		"":                         {MunicipalityUnknown, MunicipalityUnknown},
		"Den Haag":                 {"GM0518", "Haaglanden"},
		"SUDWEST FRYSLAN":          {"GM1900", "Fryslân"},
		"Weesp":                    {"GM0363", "Amsterdam-Amstelland"},
		"online":                   {MunicipalityOnline, MunicipalityOnline},
		"Achter de kerk in Zwolle": {MunicipalityUnknown, MunicipalityUnknown},
	}
	ids := map[string]string{}
	i := 0
	for text := range legacy {
		i++
		id := "legacy-" + string(rune('a'+i))
		ids[id] = text
		// Stored the way the earlier version did: free text, no region.
		if err := st.Insert(ctx, collectionCases, bson.M{"_id": id, "client_id": id, "reference": id, "receipt_hash": []byte(id),
			"kind": "complaint", "category": "police", "municipality": text, "state": StateReceived}); err != nil {
			t.Fatal(err)
		}
	}
	revs := func() map[string]int64 {
		cur, err := st.C(collectionCases).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, d := range docs {
			switch r := d[store.RevField].(type) {
			case int64:
				out[d["_id"].(string)] = r
			case int32:
				out[d["_id"].(string)] = int64(r)
			}
		}
		return out
	}
	freshRev := revs()[fresh.ID]

	// Two instances start at once.
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for k := range counts {
		wg.Go(func() {
			n, err := svc.CodeMunicipalities(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[k] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != len(legacy) {
		t.Errorf("coded %v cases, want %d in all", counts, len(legacy))
	}
	for id, text := range ids {
		c, err := svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := legacy[text]; c.Municipality != want[0] || c.Region != want[1] {
			t.Errorf("%q coded as %q in %q, want %q in %q", text, c.Municipality, c.Region, want[0], want[1])
		}
	}
	before := revs()
	if before[fresh.ID] != freshRev {
		t.Error("a case made with a coded municipality was written again")
	}
	n, err := svc.CodeMunicipalities(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second run coded %d (%v), want 0", n, err)
	}
	for id, r := range revs() {
		if before[id] != r {
			t.Errorf("case %s written by the second run", id)
		}
	}
}
