package socialmap_test

import (
	"context"
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
