package socialmap_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/fault"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func newService(t *testing.T) *socialmap.Service {
	t.Helper()
	s := socialmap.NewService(storetest.New(t))
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func org(key, name string, mod func(*socialmap.Organisation)) socialmap.Organisation {
	o := socialmap.Organisation{
		Key: key, Name: name, Topics: []string{"legal"}, Regions: []string{"national"},
		Languages: []string{"nl"}, Web: "example.org", VerifiedOn: "2026-11-02",
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestCreateGetUpdateRetire(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	o, err := s.Create(ctx, org("", "Stichting Hulp & Recht", func(o *socialmap.Organisation) {
		o.Regions = []string{"fryslan", "Friesland"}
		o.Municipalities = []string{"Den Haag"}
		o.Languages = []string{"RO", "nl", "pt-BR"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "stichting-hulp-recht" || o.Web != "https://example.org" {
		t.Fatalf("normalised: %+v", o)
	}
	got, err := s.Get(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Regions, ",") != "Fryslân" || strings.Join(got.Municipalities, ",") != "'s-Gravenhage" ||
		strings.Join(got.Languages, ",") != "nl,pt,ro" {
		t.Fatalf("stored: %+v", got)
	}
	if _, err := s.Create(ctx, org(o.Key, "Other", nil)); !errors.Is(err, socialmap.ErrExists) {
		t.Fatalf("duplicate key: %v", err)
	}

	got.Hours = "ma-vr 19-23"
	got.Evening = true
	if _, err := s.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Get(ctx, o.Key)
	if !again.Evening || !again.CreatedAt.Equal(got.CreatedAt) || !again.UpdatedAt.After(got.CreatedAt) && !again.UpdatedAt.Equal(got.CreatedAt) {
		t.Fatalf("update: %+v", again)
	}
	if _, err := s.Update(ctx, org("nobody", "No one", nil)); !errors.Is(err, socialmap.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}

	if err := s.Retire(ctx, o.Key, true); err != nil {
		t.Fatal(err)
	}
	list, _ := s.List(ctx, socialmap.Filter{})
	if len(list) != 0 {
		t.Fatalf("retired still listed: %v", list)
	}
	list, _ = s.List(ctx, socialmap.Filter{IncludeRetired: true})
	if len(list) != 1 || !list[0].Retired {
		t.Fatalf("retired list: %v", list)
	}
	if err := s.Retire(ctx, "nobody", true); !errors.Is(err, socialmap.ErrNotFound) {
		t.Fatalf("retire unknown: %v", err)
	}
}

func TestValidation(t *testing.T) {
	s := newService(t)
	_, err := s.Create(context.Background(), socialmap.Organisation{
		Key: "Bad Key!", Topics: []string{"astrology"}, Regions: []string{"Atlantis"},
		Municipalities: []string{"Nergenshuizen"}, Languages: []string{"klingon"}, VerifiedOn: "gisteren",
	})
	if fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("want an Invalid fault, got %v", err)
	}
	f := map[string]fault.Field{}
	for _, fe := range fault.FieldsOf(err) {
		if _, ok := f[fe.Field]; !ok {
			f[fe.Field] = fe
		}
	}
	for field, key := range map[string]string{
		"key": "socialmap.error.key", "name": "socialmap.error.name_required",
		"topics": "socialmap.error.topic_unknown", "regions": "socialmap.error.region_unknown",
		"municipalities": "socialmap.error.municipality_unknown", "languages": "socialmap.error.language_unknown",
		"phone": "socialmap.error.contact_required", "verified_on": "socialmap.error.verified_on",
	} {
		if f[field].Key != key {
			t.Errorf("%s: got %+v, want %s", field, f[field], key)
		}
	}
}

func TestMatchOrder(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	mk := func(o socialmap.Organisation) {
		t.Helper()
		if _, err := s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mk(org("national-plain", "A national", nil))
	mk(org("national-evening-ro", "B national", func(o *socialmap.Organisation) {
		o.Evening, o.Languages = true, []string{"nl", "ro"}
	}))
	mk(org("region-haaglanden", "C region", func(o *socialmap.Organisation) { o.Regions = []string{"Haaglanden"} }))
	mk(org("city-delft", "D Delft", func(o *socialmap.Organisation) {
		o.Regions, o.Municipalities = nil, []string{"Delft"}
	}))
	mk(org("city-hague", "E Den Haag", func(o *socialmap.Organisation) {
		o.Regions, o.Municipalities = nil, []string{"'s-Gravenhage"}
	}))
	mk(org("city-hague-ro", "F Den Haag ro", func(o *socialmap.Organisation) {
		o.Regions, o.Municipalities, o.Languages = nil, []string{"'s-Gravenhage"}, []string{"ro"}
	}))
	mk(org("region-utrecht", "G Utrecht", func(o *socialmap.Organisation) { o.Regions = []string{"Utrecht"} }))
	mk(org("health-only", "H health", func(o *socialmap.Organisation) { o.Topics = []string{"health"} }))
	mk(org("retired", "I retired", nil))
	if err := s.Retire(ctx, "retired", true); err != nil {
		t.Fatal(err)
	}

	keys := func(place, topic, lang string) string {
		t.Helper()
		ms, err := s.MatchDetailed(ctx, place, topic, lang)
		if err != nil {
			t.Fatal(err)
		}
		var k []string
		for _, m := range ms {
			k = append(k, m.Key)
		}
		return strings.Join(k, " ")
	}
	// Municipality first (language match first), then the region (Delft is
	// in Haaglanden; by name), then national (language, then evening first).
	want := "city-hague-ro city-hague region-haaglanden city-delft national-evening-ro national-plain"
	if got := keys("Den Haag", "legal", "ro"); got != want {
		t.Errorf("Den Haag/legal/ro:\n got %s\nwant %s", got, want)
	}
	want = "city-hague city-hague-ro region-haaglanden city-delft national-evening-ro national-plain"
	if got := keys("'s-Gravenhage", "legal", "nl"); got != want {
		t.Errorf("'s-Gravenhage/legal/nl:\n got %s\nwant %s", got, want)
	}
	if got, want := keys("Haaglanden", "legal", ""), "region-haaglanden city-delft city-hague city-hague-ro national-evening-ro national-plain"; got != want {
		t.Errorf("region Haaglanden:\n got %s\nwant %s", got, want)
	}
	if got, want := keys("", "legal", "en"), "national-evening-ro national-plain"; got != want {
		t.Errorf("no place:\n got %s\nwant %s", got, want)
	}
	if got, want := keys("Zeist", "health", "nl"), "health-only"; got != want {
		t.Errorf("health:\n got %s\nwant %s", got, want)
	}
	if got := keys("Utrecht", "", "nl"); !strings.HasPrefix(got, "region-utrecht ") || strings.Contains(got, "retired") {
		t.Errorf("any topic in Utrecht: %s", got)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	res, err := s.Import(ctx, bytes.NewReader(socialmap.SampleCSV()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 6 || len(res.Problems) != 0 {
		t.Fatalf("sample import: %+v", res)
	}
	all, _ := s.List(ctx, socialmap.Filter{ToVerify: true})
	if len(all) != 6 {
		t.Fatalf("sample entries to verify: %d", len(all))
	}
	names := ""
	for _, o := range all {
		names += o.Name + "|"
		if !o.IsNational() {
			t.Errorf("%s is not national", o.Name)
		}
	}
	for _, n := range []string{"PROUD", "SekswerkExpertise", "Ugly Mugs NL", "Juridisch Loket", "Nationale ombudsman", "Nederlandse Arbeidsinspectie"} {
		if !strings.Contains(names, n+"|") {
			t.Errorf("sample lacks %s", n)
		}
	}

	// Same file again: nothing changes.
	res, _ = s.Import(ctx, bytes.NewReader(socialmap.SampleCSV()))
	if res.Unchanged != 6 || res.Created+res.Updated != 0 {
		t.Fatalf("re-import: %+v", res)
	}

	// Semicolon file from a Dutch spreadsheet, BOM, pipes in lists, partial
	// columns, a bad row that must not stop the good ones, and a formula.
	in := "\xef\xbb\xbfkey;name;topics;regions;municipalities;languages;phone;evening;verified_on\n" +
		"proud;PROUD;legal|work;national;;nl|en|ro;'+31 20 000 0000;ja;2026-11-20\n" +
		"new-local;Spreekuur Zwolle;health;;Zwolle;nl;'=1+1;nee;to verify\n" +
		"broken;Kapot;astrology;Atlantis;;nl;;misschien;\n"
	res, err = s.Import(ctx, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || len(res.Problems) < 3 {
		t.Fatalf("import: %+v", res)
	}
	for _, p := range res.Problems {
		if p.Line != 4 || p.Key != "broken" {
			t.Errorf("problem on the wrong row: %+v", p)
		}
	}
	p, _ := s.Get(ctx, "proud")
	if p.Phone != "+31 20 000 0000" || !p.Evening || p.VerifiedOn != "2026-11-20" ||
		strings.Join(p.Languages, ",") != "en,nl,ro" || p.Web != "https://weareproud.nl" || !p.BySexWorkers {
		t.Fatalf("proud after partial import: %+v", p)
	}
	local, _ := s.Get(ctx, "new-local")
	if local.Phone != "=1+1" {
		t.Fatalf("formula cell: %q", local.Phone)
	}

	var buf bytes.Buffer
	if err := s.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, strings.Join(socialmap.Columns, ",")+"\n") {
		t.Fatalf("export header: %q", out[:80])
	}
	if !strings.Contains(out, "'+31 20 000 0000") || !strings.Contains(out, "'=1+1") || !strings.Contains(out, ",to verify,") {
		t.Fatalf("export escaping: %s", out)
	}
	// The export imports back into an empty map unchanged.
	s2 := newService(t)
	res, err = s2.Import(ctx, strings.NewReader(out))
	if err != nil || res.Created != 7 || len(res.Problems) != 0 {
		t.Fatalf("round trip: %+v %v", res, err)
	}
	var buf2 bytes.Buffer
	_ = s2.Export(ctx, &buf2)
	if buf2.String() != out {
		t.Fatalf("round trip differs:\n%s\n---\n%s", out, buf2.String())
	}
}

func TestImportHeaderProblems(t *testing.T) {
	s := newService(t)
	res, err := s.Import(context.Background(), strings.NewReader("name,colour\nX,red\n"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := ""
	for _, p := range res.Problems {
		msgs += p.Msg + " "
	}
	if !strings.Contains(msgs, "socialmap.import.unknown_column") || !strings.Contains(msgs, "socialmap.import.no_key_column") {
		t.Fatalf("problems: %+v", res.Problems)
	}
}
