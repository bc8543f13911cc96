package public_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
)

// submit posts a form the way a browser does: it follows the redirect
// (POST-redirect-GET) and returns the page she ends up on.
func submit(t *testing.T, env *servertest.Env, path string, form url.Values) servertest.Response {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.PostForm(env.URL+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Response{Response: res, Body: b}
}

// replyOn sends a reply with the reply form of her status page.
func replyOn(t *testing.T, env *servertest.Env, status servertest.Response, body string) servertest.Response {
	t.Helper()
	f := doc(t, status).Find(`form[action$="/status/reply"]`)
	if f.Length() != 1 {
		t.Fatalf("no reply form on %s (%d)", status.Request.URL.Path, status.StatusCode)
	}
	fields := hiddenFields(f)
	fields.Set("body", body)
	return submit(t, env, f.AttrOr("action", ""), fields)
}

func countCases(t *testing.T, env *servertest.Env) int64 {
	t.Helper()
	n, err := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A look-alike page or a fake card posts the real form with a receipt the
// attacker chose: the desk never takes it, and that receipt opens nothing.
func TestFormNeverTakesAReceiptFromThePage(t *testing.T) {
	env := servertest.Start(t)
	const chosen = "0000000000000000"
	form := fill(openForm(t, env, "/nl/report"))
	form.Set("receipt", chosen)
	r := submit(t, env, "/nl/report", form)
	if r.StatusCode != 200 {
		t.Fatalf("submit: %d", r.StatusCode)
	}
	got := receiptOf(t, r)
	if got == chosen {
		t.Fatalf("the form made a case under the receipt the sender chose (%s)", chosen)
	}
	if r := submit(t, env, "/nl/status", url.Values{"receipt": {chosen}}); r.StatusCode != 404 {
		t.Fatalf("the chosen receipt opens something: %d", r.StatusCode)
	}
	if r := submit(t, env, "/nl/status", url.Values{"receipt": {got}}); r.StatusCode != 200 || doc(t, r).Find(".thread").Length() != 1 {
		t.Fatalf("the receipt shown does not open her case: %d", r.StatusCode)
	}
}

// The form's id comes signed by the desk: a made-up id, a forged or missing
// token, or one taken from another form is refused with a translated error,
// keeping what she typed, and a fresh form goes through.
func TestFormRefusesAnIdTheDeskDidNotSign(t *testing.T) {
	env := servertest.Start(t)
	other := openForm(t, env, "/en/report")
	tampers := map[string]func(url.Values){
		"made-up id":      func(v url.Values) { v.Set("id", uuid.NewString()) },
		"forged token":    func(v url.Values) { v.Set("token", strings.Repeat("A", 43)) },
		"no token":        func(v url.Values) { v.Del("token") },
		"another's token": func(v url.Values) { v.Set("token", other.Get("token")) },
	}
	for name, tamper := range tampers {
		typed := "What I typed must stay: " + name
		form := fill(openForm(t, env, "/en/report"))
		form.Set("description", typed)
		tamper(form)
		r := submit(t, env, "/en/report", form)
		if r.StatusCode != 422 {
			t.Fatalf("%s: answered %d, want 422 and the form again", name, r.StatusCode)
		}
		d := doc(t, r)
		if got := d.Find("#f-description").Text(); got != typed {
			t.Fatalf("%s: what she typed was lost: %q", name, got)
		}
		msg := d.Find("#err-form").Text()
		if msg == "" || strings.Contains(msg, "error.") || strings.Contains(msg, "form.") {
			t.Fatalf("%s: no translated error: %q", name, msg)
		}
		if n := countCases(t, env); n != 0 {
			t.Fatalf("%s: %d cases made from an id the desk did not sign", name, n)
		}
	}
	// The form she is shown again carries a fresh signed id: it goes through.
	form := fill(openForm(t, env, "/en/report"))
	form.Set("id", uuid.NewString())
	r := submit(t, env, "/en/report", form)
	again := url.Values{}
	doc(t, r).Find(`form input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
		again.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	r = submit(t, env, "/en/report", fill(again))
	if r.StatusCode != 200 {
		t.Fatalf("the fresh form: %d", r.StatusCode)
	}
	receiptOf(t, r)
	if n := countCases(t, env); n != 1 {
		t.Fatalf("%d cases", n)
	}
}

// Pressing send twice, or sending the same form again, makes one case and
// shows the same receipt; that receipt opens the case.
func TestFormRepeatShowsTheSameReceipt(t *testing.T) {
	env := servertest.Start(t)
	form := fill(openForm(t, env, "/nl/report"))
	first := receiptOf(t, submit(t, env, "/nl/report", form))
	second := receiptOf(t, submit(t, env, "/nl/report", form))
	if first != second {
		t.Fatalf("a repeat showed another receipt: %s then %s", first, second)
	}
	if n := countCases(t, env); n != 1 {
		t.Fatalf("%d cases after a repeat", n)
	}
	if r := submit(t, env, "/nl/status", url.Values{"receipt": {first}}); r.StatusCode != 200 {
		t.Fatalf("the receipt does not open her case: %d", r.StatusCode)
	}
}

// On the status page a number copied with one digit wrong or two swapped
// is answered "check the digits" (422, tied to the field) and costs none of
// her ten misses; an unknown number that could be a receipt is answered
// "not found" with the word that an outreach worker's number can take
// until the next day — the same page for every unknown number.
func TestStatusPageTypoIsNotAMiss(t *testing.T) {
	env := servertest.Start(t)
	r := submit(t, env, "/nl/report", fill(openForm(t, env, "/nl/report")))
	receipt := receiptOf(t, r)
	if !cases.ReceiptChecks(receipt) {
		t.Fatalf("the form made %s without a check digit", receipt)
	}
	check := i18n.Default().T("nl", "status.check_digits")
	for i := range 24 {
		b := []byte(receipt)
		if j := i % 16; i < 16 {
			b[j] = '0' + (b[j]-'0'+3)%10
		} else if b[j] != b[j+1] {
			b[j], b[j+1] = b[j+1], b[j]
		} else {
			b[j] = '0' + (b[j]-'0'+5)%10
		}
		r := submit(t, env, "/nl/status", url.Values{"receipt": {cases.GroupReceipt(string(b))}})
		d := doc(t, r)
		if r.StatusCode != 422 || strings.TrimSpace(d.Find("#err-receipt").Text()) != check {
			t.Fatalf("typo %s: %d %q, want 422 %q", b, r.StatusCode, d.Find("#err-receipt").Text(), check)
		}
		if in := d.Find("#f-receipt"); !strings.Contains(in.AttrOr("aria-describedby", ""), "err-receipt") || in.AttrOr("aria-invalid", "") != "true" {
			t.Fatalf("the typo message is not tied to the field")
		}
	}
	notFound := i18n.Default().T("nl", "status.not_found_outreach")
	var first string
	for i := range 10 {
		r := submit(t, env, "/nl/status", url.Values{"receipt": {cases.WithCheckDigit(fmt.Sprintf("%015d", 64000+i))}})
		msg := doc(t, r).Find("#err-receipt").Text()
		if r.StatusCode != 404 || !strings.Contains(msg, notFound) {
			t.Fatalf("miss %d after the typos: %d %q", i+1, r.StatusCode, msg)
		}
		if first == "" {
			first = msg
		} else if msg != first {
			t.Fatalf("unknown numbers answered differently: %q, %q", first, msg)
		}
	}
	if r := submit(t, env, "/nl/status", url.Values{"receipt": {receipt}}); r.StatusCode != 429 {
		t.Fatalf("after ten misses: %d, want 429", r.StatusCode)
	}
}

// TestReceiptHashedOncePerRequest: the receipt's slow hash (argon2id, ~20
// ms of a core and 19 MiB) runs at most once per request: once to make a
// report, once to open the status page, none for a typo, a repeated form,
// her reply or her "did you feel heard?" (those name the case by a token).
func TestReceiptHashedOncePerRequest(t *testing.T) {
	env := servertest.Start(t)
	counted := func(what string, want int64, do func() servertest.Response, status int) servertest.Response {
		t.Helper()
		before := env.Deps.Sealer.ReceiptHashes()
		r := do()
		if r.StatusCode != status {
			t.Fatalf("%s: %d, want %d", what, r.StatusCode, status)
		}
		if n := env.Deps.Sealer.ReceiptHashes() - before; n != want {
			t.Errorf("%s: %d receipt hashes, want %d", what, n, want)
		}
		return r
	}
	form := fill(openForm(t, env, "/nl/report"))
	receipt := receiptOf(t, counted("new report", 1, func() servertest.Response { return submit(t, env, "/nl/report", form) }, 200))
	counted("the same form again", 0, func() servertest.Response { return submit(t, env, "/nl/report", form) }, 200)
	lookup := func(r string) func() servertest.Response {
		return func() servertest.Response { return submit(t, env, "/nl/status", url.Values{"receipt": {r}}) }
	}
	page := counted("status", 1, lookup(receipt), 200)
	counted("status of an unknown number", 1, lookup(cases.WithCheckDigit("000000000064000")), 404)
	b := []byte(receipt)
	b[3] = '0' + (b[3]-'0'+3)%10
	counted("status of a typo", 0, lookup(string(b)), 422)
	counted("reply", 0, func() servertest.Response { return replyOn(t, env, page, "Nog een vraag") }, 200)

	var c struct {
		ID string `bson:"_id"`
	}
	if err := env.Deps.Store.C("cases").FindOne(t.Context(), bson.M{}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Deps.Cases.SendMessage(t.Context(), c.ID, "u1", cases.Outgoing{Line: "Ons antwoord", Answer: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Deps.Store.Update(t.Context(), "cases", bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"state": cases.StateFeedback}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Deps.Cases.Close(t.Context(), c.ID, "u1", cases.OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	page = counted("status after closing", 1, lookup(receipt), 200)
	f := doc(t, page).Find(`form[action$="/status/heard"]`)
	if f.Length() != 1 {
		t.Fatal("no \"did you feel heard?\" form on her status page")
	}
	heard := hiddenFields(f)
	heard.Set("heard", "yes")
	counted("heard", 0, func() servertest.Response { return submit(t, env, f.AttrOr("action", ""), heard) }, 200)
}
