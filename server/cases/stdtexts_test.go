package cases

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/i18n"
)

// TestStandardTextsStartingSet: the set the desk starts with covers every
// route, every kind of report and the main categories, with a wording in
// every public language carrying the same placeholders as the Dutch.
func TestStandardTextsStartingSet(t *testing.T) {
	cat := i18n.Default()
	for _, txt := range AllTexts() {
		nl := cat.T("nl", txt.Key())
		for _, l := range PublicLanguages {
			if !cat.Has(l, txt.Key()) {
				t.Errorf("%s misses %s", l, txt.Key())
				continue
			}
			v := cat.T(l, txt.Key())
			for _, ph := range []string{"{reference}", "{date}"} {
				if strings.Contains(nl, ph) != strings.Contains(v, ph) {
					t.Errorf("%s %s: placeholder %s differs from the Dutch", l, txt.Key(), ph)
				}
			}
		}
	}
	fits := func(c *Case) bool {
		return slices.ContainsFunc(StandardTexts, func(t StandardText) bool { return t.Fits(c) })
	}
	for _, r := range Routes {
		if !fits(&Case{State: r, Kind: "complaint", Category: "other"}) {
			t.Errorf("no text for route %s", r)
		}
	}
	for _, k := range Kinds {
		n := 0
		for _, txt := range StandardTexts {
			if slices.Contains(txt.Kinds, k) || len(txt.Kinds) == 0 && k == "complaint" {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no text meant for kind %s", k)
		}
	}
	for _, c := range []string{"police", "business.bank", "government.tax", "operator.pay", "exit.housing", "landlord.rent", "online.images", "government.enforcement"} {
		if !slices.ContainsFunc(StandardTexts, func(txt StandardText) bool { return slices.Contains(txt.Categories, c) }) {
			t.Errorf("no text for category %s", c)
		}
	}
	for _, s := range []State{StateReceived, StateTriage, StateWaitingForReply, StateReplyReceived, StateFeedback, StateReopened} {
		if !fits(&Case{State: s, Kind: "complaint", Category: "other"}) {
			t.Errorf("no text for state %s", s)
		}
	}
}

// TestStandardTextOnlyForItsState: the picker offers only the texts meant
// for the case as it is now, and the service refuses any other, also when
// it is posted by hand.
func TestStandardTextOnlyForItsState(t *testing.T) {
	svc, st, _ := newTestService(t)
	ctx := t.Context()
	r := newCase(t, svc, nil) // received, a complaint about a bank
	c, _ := svc.Get(ctx, r.ID)
	ts, err := svc.TextsFor(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range ts {
		names = append(names, x.Name)
	}
	if !slices.Contains(names, "reading") || slices.Contains(names, "answer") || slices.Contains(names, "closing") ||
		slices.Contains(names, "praise_thanks") || slices.Contains(names, "police_rights") {
		t.Errorf("offered for a received bank complaint: %v", names)
	}
	for _, name := range []string{"answer", "closing", "police_rights", "praise_thanks", "extended"} {
		if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: name}); !errors.Is(err, ErrTextNotOffered) {
			t.Errorf("%s sent in state received: %v", name, err)
		}
	}
	if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "reading"}); err != nil {
		t.Errorf("reading: %v", err)
	}
	forceState(t, st, r.ID, StateFeedback)
	if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "reading"}); !errors.Is(err, ErrTextNotOffered) {
		t.Errorf("reading sent in feedback: %v", err)
	}
	e, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "answer"})
	if err != nil || e.Data["answer"] != "1" {
		t.Errorf("answer in feedback: %v %v", err, e.Data)
	}
	// A praise is offered the praise text, not the complaint's answer.
	p := newCase(t, svc, func(in *Input) { in.Kind = "praise"; in.Category = "" })
	pc, _ := svc.Get(ctx, p.ID)
	ts, _ = svc.TextsFor(ctx, pc)
	if !slices.ContainsFunc(ts, func(x Text) bool { return x.Name == "praise_thanks" }) {
		t.Errorf("praise is not offered praise_thanks")
	}
}

// TestStandardTextEditedWording: a coordinator's wording is what she
// reads; a changed Dutch text marks every translation not saved with it as
// needing translation; an emptied translation goes back to the catalog's.
func TestStandardTextEditedWording(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	cat := i18n.Default()
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: []State{StateReceived, StateTriage},
		Bodies: map[string]string{"nl": "We lezen dossier {reference} met zorg.", "en": "We read case {reference} with care.",
			"ro": cat.T("ro", "std.reading.body")}}); err != nil {
		t.Fatal(err)
	}
	txt, err := svc.Text(ctx, "reading")
	if err != nil {
		t.Fatal(err)
	}
	if txt.Stale["en"] || !txt.Stale["ro"] || !txt.Stale["pl"] || txt.Stale["nl"] {
		t.Errorf("stale after the Dutch changed: %v", txt.Stale)
	}
	r := newCase(t, svc, func(in *Input) { in.Language = "en" })
	e, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "reading"})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.EventBody(&e); !strings.Contains(got, "with care") || !strings.Contains(got, r.Reference) {
		t.Errorf("sent %q", got)
	}
	// A translation saved now is made from the current Dutch.
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: txt.States,
		Bodies: map[string]string{"ro": "Citim cu grijă cazul {reference}."}}); err != nil {
		t.Fatal(err)
	}
	txt, _ = svc.Text(ctx, "reading")
	if txt.Stale["ro"] || !txt.Stale["pl"] {
		t.Errorf("after the Romanian was saved: %v", txt.Stale)
	}
	// The Dutch changes again: the new English is stale too.
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: txt.States,
		Bodies: map[string]string{"nl": "We lezen je melding {reference}."}}); err != nil {
		t.Fatal(err)
	}
	txt, _ = svc.Text(ctx, "reading")
	if !txt.Stale["en"] || !txt.Stale["ro"] {
		t.Errorf("after a second Dutch change: %v", txt.Stale)
	}
	// The wordings replaced are kept, newest first: the Dutch just
	// replaced, before it the first Dutch replacing the catalog's.
	if len(txt.History) < 3 || txt.History[0].Lang != "nl" || txt.History[0].Body != "We lezen dossier {reference} met zorg." {
		t.Errorf("history: %+v", txt.History)
	}
	// Emptied: back to the catalog's English.
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: txt.States, Bodies: map[string]string{"en": ""}}); err != nil {
		t.Fatal(err)
	}
	txt, _ = svc.Text(ctx, "reading")
	if got, want := svc.RenderText(txt, "en", "reference", "GH-1"), cat.T("en", "std.reading.body", "reference", "GH-1"); got != want {
		t.Errorf("emptied English renders %q, want the catalog's %q", got, want)
	}
	// Where it fits changed too: limited to triage, it is no longer offered
	// on a received case.
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: []State{StateTriage}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendMessage(ctx, r.ID, "u1", Outgoing{Text: "reading"}); !errors.Is(err, ErrTextNotOffered) {
		t.Errorf("reading after it was limited to triage: %v", err)
	}
	// Unknown states, kinds and names are refused.
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "reading", States: []State{"nope"}}); !errors.Is(err, ErrTextInvalid) {
		t.Errorf("unknown state: %v", err)
	}
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "nope"}); !errors.Is(err, ErrUnknownText) {
		t.Errorf("unknown text: %v", err)
	}
}

// TestStandardTextOfTheDesk: a text the desk adds is offered where it
// fits, read in Dutch until translated, and its name is taken once.
func TestStandardTextOfTheDesk(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	e := TextEdit{Name: "deposit", Title: "Borg terug", States: []State{StateReceived}, Categories: []string{"landlord.rent"},
		Bodies: map[string]string{"nl": "Je borg hoort terug te komen ({reference})."}}
	if err := svc.AddText(ctx, "co", e); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddText(ctx, "co", e); !errors.Is(err, ErrTextName) {
		t.Errorf("same name twice: %v", err)
	}
	if err := svc.AddText(ctx, "co", TextEdit{Name: "reading", Title: "x", Bodies: map[string]string{"nl": "x"}}); !errors.Is(err, ErrTextName) {
		t.Errorf("a built-in name: %v", err)
	}
	bank := newCase(t, svc, nil)
	if _, err := svc.SendMessage(ctx, bank.ID, "u1", Outgoing{Text: "deposit"}); !errors.Is(err, ErrTextNotOffered) {
		t.Errorf("deposit on a bank case: %v", err)
	}
	rent := newCase(t, svc, func(in *Input) { in.Category = "landlord.rent"; in.Language = "pl" })
	ev, err := svc.SendMessage(ctx, rent.ID, "u1", Outgoing{Text: "deposit"})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.EventBody(&ev); got != "Je borg hoort terug te komen ("+rent.Reference+")." {
		t.Errorf("sent %q", got)
	}
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "deposit", Bodies: map[string]string{"nl": " "}}); !errors.Is(err, ErrEmpty) {
		t.Errorf("the desk's own text emptied in Dutch: %v", err)
	}
	txt, _ := svc.Text(ctx, "deposit")
	if !txt.Custom || txt.Title != "Borg terug" || !txt.Stale["pl"] {
		t.Errorf("deposit: %+v", txt)
	}
}

// TestStandardTextExtensionNoticeWording: the desk's wording of the
// automatic extension notice is what Extend sends; it is never offered in
// the picker.
func TestStandardTextExtensionNoticeWording(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "extended", States: []State{StateReceived},
		Bodies: map[string]string{"nl": "We hebben tot {date} nodig voor dossier {reference}."}}); err != nil {
		t.Fatal(err)
	}
	r := newCase(t, svc, func(in *Input) { in.Language = "nl" })
	c, err := svc.Extend(ctx, r.ID, "u1", "")
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := svc.Timeline(ctx, r.ID)
	want := "We hebben tot " + c.Deadlines.Answer.Format("2006-01-02") + " nodig voor dossier " + r.Reference + "."
	if !slices.ContainsFunc(evs, func(e Event) bool { return e.Type == EventMessage && svc.EventBody(&e) == want }) {
		t.Errorf("the notice does not use the desk's wording %q", want)
	}
	txt, _ := svc.Text(ctx, "extended")
	if len(txt.States) != 0 {
		t.Errorf("the automatic notice got states: %v", txt.States)
	}
	cc, _ := svc.Get(ctx, r.ID)
	ts, _ := svc.TextsFor(ctx, cc)
	if slices.ContainsFunc(ts, func(x Text) bool { return x.Name == "extended" }) {
		t.Error("the extension notice is offered in the picker")
	}
}

// TestStandardTextAckWording: the acknowledgement sent at intake uses the
// desk's wording in her language, the catalog's where none was saved.
func TestStandardTextAckWording(t *testing.T) {
	svc, _, _ := newTestService(t)
	ctx := t.Context()
	if err := svc.SaveText(ctx, "co", TextEdit{Name: "ack", Bodies: map[string]string{
		"en": "We have your report {reference}. Someone reads it within 5 working days."}}); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en": "We have your report %s. Someone reads it within 5 working days.",
		"ro": i18n.Default().T("ro", "std.ack", "reference", "%s")} {
		r := newCase(t, svc, func(in *Input) { in.Language = lang })
		msgs, err := svc.Messages(ctx, r.ID)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s: %v %v", lang, msgs, err)
		}
		if w := strings.ReplaceAll(want, "%s", r.Reference); msgs[0].Body != w {
			t.Errorf("%s: ack %q, want %q", lang, msgs[0].Body, w)
		}
	}
}
