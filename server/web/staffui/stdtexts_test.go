package staffui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestStandardTextManagement: coordinators keep the standard texts through
// the pages (filtered by state; a changed Dutch text marks translations as
// needing translation; handlers may not); the case page offers only the
// texts meant for the case now, refuses another one posted by hand, and
// previews her language beside the staff member's.
func TestStandardTextManagement(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	h := stafftest.SignIn(t, env, "handler")

	expect(t, h.Get("/staff/texts"), 403, "")
	received := expect(t, co.Get("/staff/texts?state=received"), 200, "")
	if count(t, received, `[data-text="reading"]`) == 0 || count(t, received, `[data-text="answer"]`) != 0 {
		t.Errorf("texts for state received list the wrong ones")
	}
	feedback := expect(t, co.Get("/staff/texts?state=feedback"), 200, "")
	if count(t, feedback, `[data-text="reading"]`) != 0 || count(t, feedback, `[data-text="answer"]`) == 0 {
		t.Errorf("texts for state feedback list the wrong ones")
	}

	// The Dutch wording changes; the form carries every language as shown.
	form := url.Values{"state": {"received", "triage", "reopened"}}
	page := expect(t, co.Get("/staff/texts/reading"), 200, "")
	for _, l := range cases.PublicLanguages {
		form.Set("body_"+l, env.Deps.Catalog.T(l, "std.reading.body"))
		if count(t, page, `[name="body_`+l+`"]`) != 1 {
			t.Fatalf("the edit page has no %s field", l)
		}
	}
	form.Set("body_nl", "We lezen je melding {reference} met aandacht.")
	form.Set("body_en", "We are reading your report {reference} with care.")
	expect(t, h.PostForm("/staff/texts/reading", form), 403, "")
	form.Del("_csrf") // the handler's token
	expect(t, co.PostForm("/staff/texts/reading", form), 303, "/staff/texts/reading?done=saved")
	page = expect(t, co.Get("/staff/texts/reading"), 200, "")
	if count(t, page, "#stale-ro") != 1 || count(t, page, "#stale-en") != 0 {
		t.Errorf("after the Dutch changed, ro should need translation and en not")
	}
	if count(t, page, "#text-history") != 1 || !strings.Contains(page, co.User.Name) {
		t.Errorf("the earlier wording is not shown with who replaced it")
	}
	if list := expect(t, co.Get("/staff/texts?stale=1"), 200, ""); count(t, list, `[data-text="reading"]`) == 0 {
		t.Errorf("the list of texts needing translation misses reading")
	}

	// On a received case in Romanian: her language beside English.
	k := newCase(t, env, func(in *cases.Input) { in.Language = "ro" })
	assign(t, env, k.ID, h.User.ID)
	casePage := expect(t, h.Get("/staff/cases/"+k.ID), 200, "")
	if count(t, casePage, `option[value="reading"]`) == 0 || count(t, casePage, `option[value="answer"]`) != 0 {
		t.Errorf("the picker offers texts not meant for a received case")
	}
	p := "/staff/cases/" + k.ID + "/message"
	body := expect(t, h.PostForm(p, url.Values{"text": {"reading"}, "action": {"preview"}}), 200, "")
	if count(t, body, "#preview") != 1 || count(t, body, "#preview-ref") != 1 ||
		!strings.Contains(body, "with care") || count(t, body, "#preview-stale") != 1 {
		t.Errorf("no side-by-side preview with the stale warning:\n%.2000s", body[strings.Index(body, "message-form"):])
	}
	expect(t, h.PostForm(p, url.Values{"text": {"answer"}, "action": {"send"}}), 422, "")
	expect(t, h.PostForm(p, url.Values{"text": {"answer"}, "action": {"preview"}}), 422, "")
	expect(t, h.PostForm(p, url.Values{"text": {"reading"}, "action": {"send"}}), 303, "/staff/cases/"+k.ID+"?done=sent")
}
