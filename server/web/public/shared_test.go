package public_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
)

// The intake form is rendered once and served from memory; every visit
// must still get its own id, signature and icon address, and a card code
// from the address must land escaped in its field, never in the markup.
func TestSharedFormIsFreshForEveryVisit(t *testing.T) {
	env := servertest.Start(t)
	seen := map[string]bool{}
	for range 3 {
		r := env.Get(t, "/nl/report")
		if r.StatusCode != 200 {
			t.Fatalf("GET /nl/report: %d", r.StatusCode)
		}
		if strings.Contains(string(r.Body), "GHMARK") {
			t.Fatal("a mark of the shared page reached the visitor")
		}
		d := doc(t, r)
		id := d.Find(`input[name=id]`).AttrOr("value", "")
		token := d.Find(`input[name=token]`).AttrOr("value", "")
		icon := d.Find(`link[rel=icon]`).AttrOr("href", "")
		if !env.Deps.PublicViews.FormTokenValid(id, token) {
			t.Fatalf("form id %q and token %q do not belong together", id, token)
		}
		for _, v := range []string{id, token, icon} {
			if seen[v] {
				t.Fatalf("%q served twice", v)
			}
			seen[v] = true
		}
	}

	card := `"><b>X</b>`
	r := env.Get(t, "/nl/report?card="+url.QueryEscape(card))
	if strings.Contains(string(r.Body), "<B>X</B>") {
		t.Fatal("the card code was written into the markup")
	}
	if got := doc(t, r).Find(`input[name=card]`).AttrOr("value", ""); got != strings.ToUpper(card) {
		t.Fatalf("card field = %q, want %q", got, strings.ToUpper(card))
	}

	// Another spelling of the address is the same page, filled in anew.
	r = env.Get(t, "/nl/REPORT")
	if r.StatusCode != 200 || doc(t, r).Find(`input[name=card]`).AttrOr("value", "x") != "" {
		t.Fatalf("GET /nl/REPORT: %d, card %q", r.StatusCode, doc(t, r).Find(`input[name=card]`).AttrOr("value", "x"))
	}
}

// Pages that depend on nothing of the request come from memory in the
// language of their address, whatever was served before.
func TestSharedPagesKeepTheirLanguage(t *testing.T) {
	env := servertest.Start(t)
	for range 2 {
		for _, l := range []string{"nl", "en", "th", "zh"} {
			for _, p := range []string{"/", "/languages", "/privacy", "/status", "/report"} {
				r := env.Get(t, "/"+l+p)
				if r.StatusCode != 200 {
					t.Fatalf("GET /%s%s: %d", l, p, r.StatusCode)
				}
				if got := doc(t, r).Find("html").AttrOr("lang", ""); !strings.HasPrefix(got, l) {
					t.Fatalf("GET /%s%s: html lang %q", l, p, got)
				}
			}
		}
	}
}
