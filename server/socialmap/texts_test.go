package socialmap_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/socialmap"
)

// TestTextsPerLanguage: description, walk-in and hours can be kept per
// language; a reader gets hers where written, and otherwise another
// language marked as such (English first, then the entry's own); an edit
// keeps, changes and removes them.
func TestTextsPerLanguage(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	o, err := s.Create(ctx, org("tekst", "Tekst", func(o *socialmap.Organisation) {
		o.About, o.WalkIn, o.Hours = "Juridisch advies", "Dinsdag 14-17", "ma-vr 9-17"
		o.Texts = map[string]socialmap.LocalText{
			"RO": {About: " Sfaturi juridice "},
			"en": {About: "Legal advice", WalkIn: "Tuesday 2-5 pm"},
			"bg": {}, // nothing written: dropped
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.TextLang != "nl" || len(got.Texts) != 2 || got.Texts["ro"].About != "Sfaturi juridice" {
		t.Fatalf("stored texts: %q %+v", got.TextLang, got.Texts)
	}
	about, walkIn, hours := got.TextFor("ro")
	if about != (socialmap.Shown{"Sfaturi juridice", "ro"}) || walkIn != (socialmap.Shown{"Tuesday 2-5 pm", "en"}) || hours != (socialmap.Shown{"ma-vr 9-17", "nl"}) {
		t.Fatalf("ro reader: %v %v %v", about, walkIn, hours)
	}
	if about, _, _ := got.TextFor("nl"); about != (socialmap.Shown{"Juridisch advies", "nl"}) {
		t.Fatalf("nl reader: %v", about)
	}
	// An edit that removes every translation removes them.
	got.Texts = nil
	if _, err := s.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.Get(ctx, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Texts) != 0 {
		t.Fatalf("texts after removing them: %+v", again.Texts)
	}
	// A code that is not a language is refused.
	bad := again
	bad.Texts = map[string]socialmap.LocalText{"xx-yy-zz": {About: "?"}}
	if _, err := s.Update(ctx, bad); err == nil {
		t.Fatal("a text under a bad language code was accepted")
	}
}

// TestTextsInCSV: the CSV carries the language the main texts are written
// in (text_lang) and the texts in other languages (about.ro, walk_in.ro,
// hours.ro ...), so an entry imported from a spreadsheet is marked with
// its real language and an export imports back with its translations.
func TestTextsInCSV(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	in := "key,name,topics,regions,languages,web,verified_on,text_lang,about,about.ro,walk_in.ro,hours.th\n" +
		"eng,English Org,legal,national,en;ro,https://example.org,2026-11-20,en,Legal advice,Sfaturi juridice,Marți 14-17,จันทร์-ศุกร์ 9-17\n"
	res, err := s.Import(ctx, strings.NewReader(in))
	if err != nil || res.Created != 1 || len(res.Problems) != 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	o, err := s.Get(ctx, "eng")
	if err != nil {
		t.Fatal(err)
	}
	if o.TextLang != "en" || o.Texts["ro"] != (socialmap.LocalText{About: "Sfaturi juridice", WalkIn: "Marți 14-17"}) ||
		o.Texts["th"].Hours != "จันทร์-ศุกร์ 9-17" || len(o.Texts) != 2 {
		t.Fatalf("imported texts: %q %+v", o.TextLang, o.Texts)
	}
	if about, _, _ := o.TextFor("bg"); about != (socialmap.Shown{"Legal advice", "en"}) {
		t.Fatalf("bg reader: %v", about)
	}
	// A file without the columns keeps what is stored; an empty cell of a
	// column that is there removes that text.
	res, err = s.Import(ctx, strings.NewReader("key,name,about.ro\neng,English Org,\n"))
	if err != nil || res.Updated != 1 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	if o, _ = s.Get(ctx, "eng"); o.TextLang != "en" || o.Texts["ro"] != (socialmap.LocalText{WalkIn: "Marți 14-17"}) || o.Texts["th"].Hours == "" {
		t.Fatalf("after a partial import: %q %+v", o.TextLang, o.Texts)
	}
	// The export imports back into an empty map unchanged.
	var out bytes.Buffer
	if err := s.Export(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ",text_lang,about.ro,walk_in.ro,hours.ro,about.th,walk_in.th,hours.th\n") {
		t.Fatalf("export header: %q", strings.SplitN(out.String(), "\n", 2)[0])
	}
	s2 := newService(t)
	if res, err := s2.Import(ctx, bytes.NewReader(out.Bytes())); err != nil || res.Created != 1 || len(res.Problems) != 0 {
		t.Fatalf("round trip: %+v %v", res, err)
	}
	back, err := s2.Get(ctx, "eng")
	if err != nil || back.TextLang != "en" || !reflect.DeepEqual(back.Texts, o.Texts) {
		t.Fatalf("round trip: %q %+v, want %+v (%v)", back.TextLang, back.Texts, o.Texts, err)
	}
}
