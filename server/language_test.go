package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/web/appui"
	"github.com/gehoord/gehoord/server/web/helpui"
)

// langProbe is one request whose answer must be in lang.
type langProbe struct {
	lang   string
	method string
	path   string
	form   url.Values
	client *http.Client
	status []int
	// check returns what is wrong with the body ("" when nothing).
	check func(body []byte) string
}

func (p langProbe) String() string { return p.method + " " + p.path }

// headingIs checks the page's <h1> against lang's catalog text for key.
func headingIs(cat *i18n.Catalog, lang, key string) func([]byte) string {
	want := cat.T(lang, key)
	return func(body []byte) string {
		d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			return err.Error()
		}
		if got := d.Find("html").AttrOr("lang", ""); got != i18n.HTMLLang(lang) {
			return fmt.Sprintf("<html lang=%q>, want %q", got, i18n.HTMLLang(lang))
		}
		if got := strings.TrimSpace(d.Find("h1").First().Text()); got != want {
			return fmt.Sprintf("<h1> is %q, want %q (%s in %s)", got, want, key, lang)
		}
		return ""
	}
}

// TestEveryPageStaysInItsLanguageUnderInterleavedRequests: every page
// comes back in the language asked for while requests in all languages
// arrive interleaved from several clients at once. Fiber reuses a
// request's memory for the next one; a language string kept beyond its
// request (in a per-language template cache, say) would turn a later page
// into whatever language the next request carried.
func TestEveryPageStaysInItsLanguageUnderInterleavedRequests(t *testing.T) {
	env := servertest.Start(t)
	cat := i18n.Default()
	anon := servertest.Client()
	// Her forms are answered with a redirect to the page that shows the
	// outcome, in the form's language: followed as her browser does.
	browser := &http.Client{Timeout: 30 * time.Second}

	var probes []langProbe
	for _, l := range cases.PublicLanguages {
		get := func(path, key string, status int) {
			probes = append(probes, langProbe{lang: l, method: http.MethodGet, path: path, client: anon,
				status: []int{status}, check: headingIs(cat, l, key)})
		}
		get("/"+l+"/", "home.heading", 200)
		get("/"+l+"/report", "form.title", 200)
		get("/"+l+"/status", "status.title", 200)
		get("/"+l+"/privacy", "privacy.title", 200)
		get("/"+l+"/languages", "choose.heading", 200)
		get("/"+l+"/help", "help.title", 200)
		get("/"+l+"/rights", "rights.title", 200)
		for _, topic := range helpui.RightsTopics() {
			get("/"+l+"/rights/"+topic, "rights."+topic+".title", 200)
		}
		get("/"+l+"/no-such-page", "error.not_found_title", 404)
		// An intake form without the required answers comes back to her.
		probes = append(probes, langProbe{lang: l, method: http.MethodPost, path: "/" + l + "/report", client: browser,
			form: url.Values{"reporter": {"self"}, "description": {"x"}}, status: []int{422},
			check: headingIs(cat, l, "form.title")})
		// A receipt nobody was given (after ten misses the answer is "too
		// many tries", on the same page).
		probes = append(probes, langProbe{lang: l, method: http.MethodPost, path: "/" + l + "/status", client: browser,
			form: url.Values{"receipt": {"0000000000000000"}}, status: []int{404, 429},
			check: headingIs(cat, l, "status.title")})
		// The outreach app's catalog for this language.
		want, _ := json.Marshal(cat.Messages(l, appui.CatalogPrefixes...))
		var wantMap map[string]any
		_ = json.Unmarshal(want, &wantMap)
		probes = append(probes, langProbe{lang: l, method: http.MethodGet, path: "/app/i18n/" + l + ".json", client: anon,
			status: []int{200}, check: func(body []byte) string {
				var got map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					return err.Error()
				}
				if !reflect.DeepEqual(got, wantMap) {
					return fmt.Sprintf("app catalog is not %s's (_.name %v, want %v)", l, got["_.name"], wantMap["_.name"])
				}
				return ""
			}})
		// The API's category labels in the language asked for.
		probes = append(probes, langProbe{lang: l, method: http.MethodGet, path: "/api/v1/categories?lang=" + l, client: anon,
			status: []int{200}, check: func(body []byte) string {
				var got []struct{ ID, Label string }
				if err := json.Unmarshal(body, &got); err != nil {
					return err.Error()
				}
				for _, c := range got {
					if want := cat.T(l, "category."+c.ID+".label"); c.Label != want {
						return fmt.Sprintf("category %s labelled %q, want %q", c.ID, c.Label, want)
					}
				}
				return ""
			}})
	}

	// Staff pages: the sign-in page in the language asked for (?lang=), and
	// a signed-in user's pages in her own language.
	users := map[string]*stafftest.Client{}
	for _, l := range staff.Languages {
		c := stafftest.SignIn(t, env, staff.RoleAdmin)
		if err := stafftest.Service(env).SetLang(t.Context(), c.User.ID, l); err != nil {
			t.Fatal(err)
		}
		users[l] = c
	}
	for _, l := range staff.Languages {
		probes = append(probes,
			langProbe{lang: l, method: http.MethodGet, path: "/staff/signin?lang=" + l, client: anon,
				status: []int{200}, check: headingIs(cat, l, "staff.signin.title")},
			langProbe{lang: l, method: http.MethodGet, path: "/staff/account", client: users[l].Client,
				status: []int{200}, check: headingIs(cat, l, "staff.account.title")},
			langProbe{lang: l, method: http.MethodGet, path: "/staff/", client: users[l].Client,
				status: []int{200}, check: headingIs(cat, l, "staff.inbox.title")})
	}

	// Every probe twice, shuffled, shared by eight clients: each page
	// is asked for again after requests in other languages went by.
	const workers, repeats = 8, 2
	jobs := make(chan langProbe)
	go func() {
		defer close(jobs)
		order := make([]langProbe, 0, repeats*len(probes))
		for range repeats {
			order = append(order, probes...)
		}
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, p := range order {
			jobs <- p
		}
	}()
	var (
		mu       sync.Mutex
		wrong    []string
		failures int
		total    int
	)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for p := range jobs {
				problem := runProbe(env, p)
				mu.Lock()
				total++
				if problem != "" {
					failures++
					if len(wrong) < 15 {
						wrong = append(wrong, p.String()+": "+problem)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failures > 0 {
		t.Errorf("%d of %d answers not in the language asked for (%.0f %%); first ones:\n%s",
			failures, total, 100*float64(failures)/float64(total), strings.Join(wrong, "\n"))
	}
}

// runProbe makes the request and says what is wrong with the answer.
func runProbe(env *servertest.Env, p langProbe) string {
	var body io.Reader
	if p.form != nil {
		body = strings.NewReader(p.form.Encode())
	}
	req, err := http.NewRequest(p.method, env.URL+p.path, body)
	if err != nil {
		return err.Error()
	}
	if p.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	res, err := p.client.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err.Error()
	}
	ok := false
	for _, s := range p.status {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		return fmt.Sprintf("status %d, want %v", res.StatusCode, p.status)
	}
	return p.check(b)
}

// TestOnlyPublicLanguagesHavePublicPages: a first segment that is not a
// public language in its own spelling gets the 404 page (in Dutch: it
// names no language), whatever follows it; the other audiences' paths
// answer as before.
func TestOnlyPublicLanguagesHavePublicPages(t *testing.T) {
	env := servertest.Start(t)
	cat := i18n.Default()
	notFound := headingIs(cat, "nl", "error.not_found_title")
	for _, path := range []string{"/xx/report", "/xx/", "/EN/report", "/Nl/status", "/english", "/en-gb/report",
		"/enreport", "/staff/report", "/c/x/report", "/report", "/status", "/privacy", "/v/token", "/help", "/rights"} {
		res := env.Get(t, path, "Accept", "text/html")
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			continue
		}
		if problem := notFound(res.Body); problem != "" {
			t.Errorf("GET %s: %s", path, problem)
		}
	}
	for _, l := range cases.PublicLanguages {
		for path, key := range map[string]string{"/": "home.heading", "/report": "form.title", "/help": "help.title"} {
			res := env.Get(t, "/"+l+path, "Accept", "text/html")
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET /%s%s: %d, want 200", l, path, res.StatusCode)
			} else if problem := headingIs(cat, l, key)(res.Body); problem != "" {
				t.Errorf("GET /%s%s: %s", l, path, problem)
			}
		}
	}
	for path, status := range map[string]int{"/staff/signin": 200, "/api/v1/categories": 200, "/app/": 200, "/healthz/live": 200,
		"/api/v1/nothing": 404} {
		if res := env.Get(t, path); res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, status)
		}
	}
}
