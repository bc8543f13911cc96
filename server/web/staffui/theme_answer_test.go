package staffui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestThemeAnswerOneStep: a coordinator answers a theme's cases with one
// standard text: the preview (a GET, no JavaScript needed) says who gets
// it and shows it in their languages; one submit sends it to each case it
// fits, in the complainant's own language; the others get nothing.
func TestThemeAnswerOneStep(t *testing.T) {
	env := servertest.Start(t)
	ctx := t.Context()
	co := stafftest.SignIn(t, env, "coordinator")
	th, err := env.Deps.Cases.CreateTheme(ctx, co.User.ID, "Bank X closes accounts", "business", "Bank X")
	if err != nil {
		t.Fatal(err)
	}
	var ks []cases.Result
	for _, lang := range []string{"ro", "pl", "en"} {
		k := newCase(t, env, func(in *cases.Input) { in.Language = lang })
		if err := env.Deps.Cases.LinkTheme(ctx, k.ID, th.ID, co.User.ID); err != nil {
			t.Fatal(err)
		}
		if lang != "en" { // the English one stays received: more_info is not meant for it
			if _, err := env.Deps.Cases.Transition(ctx, k.ID, co.User.ID, cases.StateTriage, ""); err != nil {
				t.Fatal(err)
			}
		}
		ks = append(ks, k)
	}
	ro, pl, en := ks[0], ks[1], ks[2]
	before := map[string]int{}
	for _, k := range ks {
		_, msgs := statusOf(t, env, k.Receipt)
		before[k.ID] = len(msgs)
	}
	cat := env.Deps.Catalog
	page := expect(t, co.Get("/staff/themes/"+th.ID+"/answer?text=more_info"), 200, "")
	send := page[strings.Index(page, `id="answer-send"`):]
	send = send[:strings.Index(send, "</ul>")]
	if !strings.Contains(send, ro.ID) || !strings.Contains(send, pl.ID) || strings.Contains(send, en.ID) {
		t.Errorf("preview: who gets it is wrong")
	}
	if count(t, page, "#answer-skip") != 1 || !strings.Contains(page, cat.T("ro", "std.more_info.body")) ||
		!strings.Contains(page, cat.T("pl", "std.more_info.body")) || count(t, page, "#answer-ref") != 1 {
		t.Errorf("preview lacks the skipped list or the texts side by side")
	}
	body := expect(t, co.PostForm("/staff/themes/"+th.ID+"/answer", url.Values{"text": {"more_info"}}), 200, "")
	if count(t, body, "#answer-done") != 1 {
		t.Error("no confirmation")
	}
	for _, k := range ks {
		_, msgs := statusOf(t, env, k.Receipt)
		got := len(msgs) - before[k.ID]
		switch k.ID {
		case en.ID:
			if got != 0 {
				t.Errorf("the received case got %d messages", got)
			}
		default:
			lang := "ro"
			if k.ID == pl.ID {
				lang = "pl"
			}
			if got != 1 || msgs[len(msgs)-1]["body"] != cat.T(lang, "std.more_info.body", "reference", k.Reference) {
				t.Errorf("%s: %d new, last %q", lang, got, msgs[len(msgs)-1]["body"])
			}
		}
	}
	// A handler may not.
	h := stafftest.SignIn(t, env, "handler")
	expect(t, h.PostForm("/staff/themes/"+th.ID+"/answer", url.Values{"text": {"more_info"}}), 403, "")
}
