package public_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
)

func doc(t *testing.T, r servertest.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// openForm fetches the intake form and returns its hidden fields.
func openForm(t *testing.T, env *servertest.Env, path string) url.Values {
	t.Helper()
	r := env.Get(t, path)
	if r.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, r.StatusCode)
	}
	v := url.Values{}
	doc(t, r).Find(`form input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
		v.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return v
}

func fill(v url.Values) url.Values {
	v.Set("kind", "complaint")
	v.Set("category", "police")
	v.Set("description", "Twee agenten kwamen zonder reden binnen")
	v.Set("municipality", "GM0363") // Amsterdam, as the form's list sends it
	v.Set("setting", "window")
	v.Set("wish", "advice")
	v.Set("identity_mode", "work_name")
	v.Set("name", "Bella")
	v.Set("reporter", "self")
	return v
}

var digits = regexp.MustCompile(`\d`)

func receiptOf(t *testing.T, r servertest.Response) string {
	t.Helper()
	txt := doc(t, r).Find("#receipt").Text()
	rc := strings.Join(digits.FindAllString(txt, -1), "")
	if len(rc) != 16 {
		t.Fatalf("no 16-digit receipt on the page: %q", txt)
	}
	return rc
}

func TestFormCreatesCaseAndStatusShowsAcknowledgement(t *testing.T) {
	env := servertest.Start(t)
	form := fill(openForm(t, env, "/nl/report"))
	r := submit(t, env, "/nl/report", form)
	if r.StatusCode != 200 {
		t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
	}
	receipt := receiptOf(t, r)
	if !strings.Contains(doc(t, r).Find("#receipt").Text(), cases.GroupReceipt(receipt)) {
		t.Fatal("receipt not shown in groups of four")
	}
	if doc(t, r).Find(`input[name=saved][type=checkbox]`).Length() != 1 {
		t.Fatal("no 'I have saved it' confirmation")
	}
	// Sending the same form again (a double tap, a reload) makes no second
	// case and shows the same receipt.
	r2 := submit(t, env, "/nl/report", form)
	if receiptOf(t, r2) != receipt {
		t.Fatal("a repeated submit showed another receipt")
	}
	n, _ := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{})
	if n != 1 {
		t.Fatalf("%d cases after a double submit", n)
	}
	// Confirming shows no receipt any more.
	saved := hiddenFields(doc(t, r2).Find(`form[action$="/report/saved"]`))
	saved.Set("saved", "yes")
	r = submit(t, env, "/nl/report/saved", saved)
	if r.StatusCode != 200 || bytes.Contains(r.Body, []byte(receipt[:8])) {
		t.Fatalf("saved page: %d, shows receipt: %v", r.StatusCode, bytes.Contains(r.Body, []byte(receipt[:8])))
	}
	// The status page opens with the receipt and shows the acknowledgement
	// in her language.
	r = submit(t, env, "/nl/status", url.Values{"receipt": {cases.GroupReceipt(receipt)}})
	if r.StatusCode != 200 {
		t.Fatalf("status: %d", r.StatusCode)
	}
	thread := doc(t, r).Find(".thread").Text()
	if !strings.Contains(thread, "binnen 5 werkdagen") {
		t.Fatalf("acknowledgement not on the status page: %q", thread)
	}
	// Her reply through the form lands on the case.
	r = replyOn(t, env, r, "Er is ook een foto")
	if r.StatusCode != 200 || !strings.Contains(doc(t, r).Find(".thread").Text(), "Er is ook een foto") {
		t.Fatalf("reply: %d", r.StatusCode)
	}
	// An unknown receipt gets one neutral message, no detail.
	r = submit(t, env, "/nl/status", url.Values{"receipt": {cases.WithCheckDigit("111122223333444")}})
	if r.StatusCode != 404 || doc(t, r).Find("#err-receipt").Length() != 1 {
		t.Fatalf("unknown receipt: %d", r.StatusCode)
	}
}

func TestFormErrorsKeepInputAndAreTranslated(t *testing.T) {
	env := servertest.Start(t)
	form := openForm(t, env, "/en/report")
	form.Set("kind", "complaint")
	form.Set("description", "What I typed must stay")
	form.Set("about", "Club Rood")
	form.Set("identity_mode", "named")
	form.Set("contact", "06-12345678")
	r := submit(t, env, "/en/report", form)
	if r.StatusCode != 422 {
		t.Fatalf("want 422, got %d", r.StatusCode)
	}
	d := doc(t, r)
	if got := d.Find("#f-description").Text(); got != "What I typed must stay" {
		t.Fatalf("description lost: %q", got)
	}
	if d.Find("#f-about").AttrOr("value", "") != "Club Rood" || d.Find("#f-contact").AttrOr("value", "") != "06-12345678" {
		t.Fatal("typed fields lost")
	}
	if d.Find(`input[name=identity_mode][value=named]`).AttrOr("checked", "x") == "x" {
		t.Fatal("chosen identity mode lost")
	}
	for _, id := range []string{"err-category", "err-wish", "err-name"} {
		msg := d.Find("#" + id).Text()
		if msg == "" || strings.HasPrefix(msg, "error.") {
			t.Fatalf("%s: %q", id, msg)
		}
	}
	if d.Find(".error-summary a").Length() < 3 {
		t.Fatal("no error summary with links to the fields")
	}
	n, _ := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{})
	if n != 0 {
		t.Fatal("an invalid form made a case")
	}
	// Dutch page, Dutch messages.
	form.Set("kind", "")
	r = submit(t, env, "/nl/report", form)
	if !strings.Contains(doc(t, r).Find("#err-kind").Text(), "Kies wat je ons wilt vertellen") {
		t.Fatal("errors not in the page's language")
	}
}

func TestMarkupInEveryFieldIsEscaped(t *testing.T) {
	env := servertest.Start(t)
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	form := openForm(t, env, "/en/report")
	for _, f := range []string{"kind", "category", "description", "about", "municipality", "happened_on", "setting", "wish", "identity_mode", "name", "contact", "reporter", "card"} {
		form.Set(f, evil)
	}
	r := submit(t, env, "/en/report", form)
	if r.StatusCode != 422 {
		t.Fatalf("want 422, got %d", r.StatusCode)
	}
	if bytes.Contains(r.Body, []byte("<script>alert")) || bytes.Contains(r.Body, []byte("<img src=x")) {
		t.Fatal("markup echoed unescaped")
	}
	// Markup stored in a valid case comes back escaped on the status page.
	form = fill(openForm(t, env, "/en/report"))
	form.Set("description", evil)
	r = submit(t, env, "/en/report", form)
	receipt := receiptOf(t, r)
	r = replyOn(t, env, submit(t, env, "/en/status", url.Values{"receipt": {receipt}}), evil)
	if !bytes.Contains(r.Body, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) || bytes.Contains(r.Body, []byte("<script>alert")) {
		t.Fatal("reply not escaped on the status page")
	}
}

func publicPaths() []string {
	return []string{"/nl/", "/en/", "/nl/report", "/en/status", "/nl/privacy", "/nl/languages", "/nl/rights", "/nl/help", "/xx/nothing"}
}

func TestPublicPagesSetNoCookiesAndStrictHeaders(t *testing.T) {
	env := servertest.Start(t)
	check := func(r servertest.Response) {
		t.Helper()
		h := r.Header
		if len(h.Values("Set-Cookie")) > 0 {
			t.Errorf("%s sets a cookie", r.Request.URL.Path)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP lacks %s", r.Request.URL.Path, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
			t.Errorf("CSP too loose: %s", csp)
		}
		for k, v := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q", r.Request.URL.Path, k, h.Get(k))
			}
		}
		if !strings.Contains(h.Get("Permissions-Policy"), "camera=()") {
			t.Errorf("%s: no Permissions-Policy", r.Request.URL.Path)
		}
	}
	for _, p := range publicPaths() {
		r := env.Get(t, p)
		check(r)
		if r.StatusCode == 200 {
			d := doc(t, r)
			if d.Find("#quick-exit").Length() != 1 || !strings.HasPrefix(d.Find("#quick-exit").AttrOr("href", ""), "https://") {
				t.Errorf("%s: no quick exit link", p)
			}
			if d.Find("html").AttrOr("lang", "") == "" {
				t.Errorf("%s: no lang", p)
			}
			// No inline script or style, nothing from another host.
			d.Find("script").Each(func(_ int, s *goquery.Selection) {
				if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/") {
					t.Errorf("%s: inline or foreign script", p)
				}
			})
			if d.Find("style, [style]").Length() > 0 {
				t.Errorf("%s: inline style", p)
			}
			d.Find("link[href], img[src], script[src]").Each(func(_ int, s *goquery.Selection) {
				u := s.AttrOr("href", s.AttrOr("src", ""))
				if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
					t.Errorf("%s: resource from elsewhere: %s", p, u)
				}
			})
		}
	}
	form := fill(openForm(t, env, "/nl/report"))
	r := env.PostForm(t, "/nl/report", form)
	check(r)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("receipt page is cacheable")
	}
	for _, p := range []string{"/nl/report", "/nl/status"} {
		if cc := env.Get(t, p).Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s Cache-Control %q", p, cc)
		}
	}
	d := doc(t, env.Get(t, "/nl/report"))
	for _, f := range []string{"description", "about", "name", "contact", "municipality"} {
		if d.Find("#f-"+f).AttrOr("autocomplete", "") != "off" {
			t.Errorf("field %s lacks autocomplete=off", f)
		}
	}
	if b := env.Get(t, "/nl/report").Body; bytes.Contains(bytes.ToLower(b), []byte("mensenhandel?")) ||
		bytes.Contains(bytes.ToLower(b), []byte("nationaliteit")) || bytes.Contains(bytes.ToLower(b), []byte("bsn")) {
		t.Error("the form asks about trafficking, nationality or documents")
	}
}

func TestRootPicksLanguage(t *testing.T) {
	env := servertest.Start(t)
	for header, want := range map[string]string{"ro-RO,ro;q=0.9,en;q=0.5": "/ro/", "de-DE": "/nl/", "": "/nl/", "en-GB": "/en/", "zh-CN": "/zh/"} {
		r := env.Get(t, "/", "Accept-Language", header)
		if r.StatusCode != 302 || r.Header.Get("Location") != want {
			t.Errorf("Accept-Language %q: %d %s, want %s", header, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
	d := doc(t, env.Get(t, "/en/"))
	if d.Find(`.langs a[lang="th"]`).Text() == "" || d.Find(`.langs a`).Length() != 12 {
		t.Error("the language chooser does not offer all twelve languages in their own names")
	}
}

// TestIntakeBudget checks the size budget: the intake page plus the CSS it
// links, compressed, fit in 14 KB so it renders after the first round trip.
func TestIntakeBudget(t *testing.T) {
	env := servertest.Start(t)
	total := 0
	get := func(p string) []byte {
		req, _ := http.NewRequest("GET", env.URL+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s not compressed", p)
		}
		total += len(b)
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		return plain
	}
	for _, lang := range []string{"nl", "en"} {
		total = 0
		page := get("/" + lang + "/report?card=ABCD1234")
		d, _ := goquery.NewDocumentFromReader(bytes.NewReader(page))
		d.Find(`link[rel=stylesheet]`).Each(func(_ int, s *goquery.Selection) { get(s.AttrOr("href", "")) })
		t.Logf("%s intake page + CSS: %d bytes compressed", lang, total)
		if total > 14*1024 {
			t.Fatalf("%s intake page + CSS is %d bytes compressed, budget 14 KB", lang, total)
		}
	}
	css := doc(t, env.Get(t, "/nl/report")).Find(`link[rel=stylesheet]`).AttrOr("href", "")
	if cc := env.Get(t, css).Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "31536000") {
		t.Fatalf("asset cache %q", cc)
	}
}

// burst posts n forms released at once and tallies their status codes.
// A request that got no answer is tallied as 0.
func burst(t *testing.T, n int, req func(i int) *http.Request) map[int]int {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
		codes = map[int]int{}
	)
	// Following redirects, as her browser does: a lookup's answer is a
	// redirect to the page that says what happened.
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range n {
		r := req(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := client.Do(r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[0]++
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[res.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// Parallel lookups with unknown receipts from one client, through the form
// that opens a case with a receipt (the reply and "heard" forms name the
// case by a token): only as many are checked as the limit allows (10 per
// window); the rest are refused before the receipt is hashed.
func TestStatusMissLimitHoldsUnderParallelForms(t *testing.T) {
	env := servertest.Start(t)
	paths := []string{"/nl/status", "/en/status"}
	codes := burst(t, 120, func(i int) *http.Request {
		form := url.Values{"receipt": {cases.WithCheckDigit(fmt.Sprintf("%015d", 5000+i))}, "body": {"Hallo"}, "heard": {"yes"}}
		r, _ := http.NewRequest(http.MethodPost, env.URL+paths[i%len(paths)], strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	})
	// 503: the server was too busy to take it on (a slow machine).
	if codes[404] > 10 || codes[429] == 0 || codes[404]+codes[429]+codes[503] != 120 {
		t.Fatalf("120 parallel misses answered %v: want at most 10 checked (404), the rest 429 (or 503)", codes)
	}
}

// The form and the API share one count per client, and a worker's own
// successful lookups are not counted.
func TestStatusFormSharesLimitAndFindsCountNothing(t *testing.T) {
	env := servertest.Start(t)
	r := submit(t, env, "/nl/report", fill(openForm(t, env, "/nl/report")))
	receipt := receiptOf(t, r)
	for i := range 5 {
		if r := submit(t, env, "/nl/status", url.Values{"receipt": {receipt}}); r.StatusCode != 200 {
			t.Fatalf("own lookup %d: %d", i+1, r.StatusCode)
		}
		if r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("%015d", 7000+i))}); r.StatusCode != 404 {
			t.Fatalf("API miss %d: %d", i+1, r.StatusCode)
		}
		if r := submit(t, env, "/nl/status", url.Values{"receipt": {cases.WithCheckDigit(fmt.Sprintf("%015d", 8000+i))}}); r.StatusCode != 404 {
			t.Fatalf("form miss %d: %d", i+1, r.StatusCode)
		}
	}
	if r := submit(t, env, "/nl/status", url.Values{"receipt": {receipt}}); r.StatusCode != 429 {
		t.Fatalf("after 10 misses: %d", r.StatusCode)
	}
}
