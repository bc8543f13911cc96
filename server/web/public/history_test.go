package public_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/web/helpui"
)

// redirected checks that a POST of hers was answered with a redirect to a
// page (POST-redirect-GET), so that Reload and Back never send her form
// again, and that the address says nothing about her.
func redirected(t *testing.T, r servertest.Response, secrets ...string) string {
	t.Helper()
	if r.StatusCode != 303 {
		t.Fatalf("POST %s answered %d with the page itself: Reload sends her form again and shows it again; want 303 to a page that works once",
			r.Request.URL.Path, r.StatusCode)
	}
	loc := r.Header.Get("Location")
	for _, s := range secrets {
		if s != "" && strings.Contains(loc, s) {
			t.Fatalf("the address %s holds %q", loc, s)
		}
	}
	return loc
}

// gone checks that a page shown once shows none of it again.
func gone(t *testing.T, env *servertest.Env, loc string, secrets ...string) {
	t.Helper()
	r := env.Get(t, loc)
	if r.StatusCode == 200 {
		t.Errorf("%s opened a second time: %d", loc, r.StatusCode)
	}
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("%s shows %q again", loc, s)
		}
	}
}

func hiddenFields(s *goquery.Selection) url.Values {
	v := url.Values{}
	s.Find(`input[type=hidden]`).Each(func(_ int, in *goquery.Selection) {
		v.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return v
}

// TestHerPagesWorkOnce: on a shared phone, the receipt, the thread and her
// reply are each shown once, on a page that no Reload or Back brings
// back; no page carries the receipt in a form for the browser to keep.
func TestHerPagesWorkOnce(t *testing.T) {
	env := servertest.Start(t)
	const told = "Geheimverhaal over de Pieterstraat"
	form := fill(openForm(t, env, "/nl/report"))
	form.Set("description", told)
	loc := redirected(t, env.PostForm(t, "/nl/report", form), told)
	page := env.Get(t, loc)
	if page.StatusCode != 200 {
		t.Fatalf("receipt page: %d", page.StatusCode)
	}
	receipt := receiptOf(t, page)
	grouped := cases.GroupReceipt(receipt)
	if strings.Contains(loc, receipt) {
		t.Fatalf("the address %s holds the receipt", loc)
	}
	gone(t, env, loc, receipt, grouped)

	// A double tap: the same form again shows the same receipt, once.
	loc2 := redirected(t, env.PostForm(t, "/nl/report", form), told)
	if loc2 == loc {
		t.Fatal("the repeat reuses the page that was already shown")
	}
	page = env.Get(t, loc2)
	if receiptOf(t, page) != receipt {
		t.Fatal("the repeat shows another receipt")
	}
	gone(t, env, loc2, receipt, grouped)

	// "I have saved it" sends no receipt back and leads to a page without it.
	saved := doc(t, page).Find(`form[action$="/report/saved"]`)
	fields := hiddenFields(saved)
	for k, v := range fields {
		if strings.Contains(v[0], receipt) {
			t.Fatalf("the confirmation form carries the receipt in %s", k)
		}
	}
	fields.Set("saved", "yes")
	done := submit(t, env, saved.AttrOr("action", ""), fields)
	if done.StatusCode != 200 || bytes.Contains(done.Body, []byte(receipt)) || bytes.Contains(done.Body, []byte(grouped)) {
		t.Fatalf("after saving: %d, receipt shown: %v", done.StatusCode, bytes.Contains(done.Body, []byte(grouped)))
	}

	// Her thread, looked up with the receipt.
	const ack = "binnen 5 werkdagen"
	loc = redirected(t, env.PostForm(t, "/nl/status", url.Values{"receipt": {grouped}}), receipt)
	page = env.Get(t, loc)
	if page.StatusCode != 200 || !strings.Contains(doc(t, page).Find(".thread").Text(), ack) {
		t.Fatalf("status page: %d", page.StatusCode)
	}
	if bytes.Contains(page.Body, []byte(receipt)) {
		t.Fatal("the status page carries the receipt")
	}
	gone(t, env, loc, ack)

	// Her reply, from that page's form.
	const reply = "Antwoordmarker met een foto"
	rf := doc(t, page).Find(`form[action$="/status/reply"]`)
	fields = hiddenFields(rf)
	fields.Set("body", reply)
	r := env.PostForm(t, rf.AttrOr("action", ""), fields)
	loc = redirected(t, r, reply)
	page = env.Get(t, loc)
	if page.StatusCode != 200 || !strings.Contains(doc(t, page).Find(".thread").Text(), reply) {
		t.Fatalf("after the reply: %d", page.StatusCode)
	}
	gone(t, env, loc, reply, ack)
	// A double tap on send adds her message once.
	redirected(t, env.PostForm(t, rf.AttrOr("action", ""), fields))
	n, err := env.Deps.Store.C("case_events").CountDocuments(context.Background(), bson.M{"type": cases.EventReply})
	if err != nil || n != 1 {
		t.Fatalf("replies stored: %d %v", n, err)
	}
}

func publicPagesOf(lang string) []string {
	ps := []string{"/", "/report", "/status", "/privacy", "/languages", "/rights", "/help", "/no-such-page"}
	for _, topic := range helpui.RightsTopics() {
		ps = append(ps, "/rights/"+topic)
	}
	for i, p := range ps {
		ps[i] = "/" + lang + p
	}
	return ps
}

// TestEveryPublicPageIsNoStoreWithANeutralTitle: a shared phone's history,
// tab list and cache keep nothing that says what she looked at. Titles
// stay in the history after the page is gone.
func TestEveryPublicPageIsNoStoreWithANeutralTitle(t *testing.T) {
	env := servertest.Start(t)
	if cc := env.Get(t, "/").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/: Cache-Control %q", cc)
	}
	for _, lang := range cases.PublicLanguages {
		for _, p := range publicPagesOf(lang) {
			r := env.Get(t, p)
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", p, cc)
			}
			if title := strings.TrimSpace(doc(t, r).Find("title").Text()); title != "Gehoord" {
				t.Errorf("%s: title %q, want the neutral \"Gehoord\"", p, title)
			}
		}
	}
}
