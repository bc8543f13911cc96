package appui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/web/appui"
)

func post(t *testing.T, url, token, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	res, err := servertest.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

type syncResp struct {
	Results []struct {
		ID, Result, Reference string
		Errors                []struct{ Field, Detail string }
	}
}

func reports(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		// As the tablet makes them: random, never a guessable one.
		receipt, err := cases.NewReceipt()
		if err != nil {
			panic(err)
		}
		out[i] = map[string]any{
			"id": uuid.NewString(), "kind": "question", "description": fmt.Sprintf("question %d", i),
			"wish": "advice", "identity": map[string]any{"mode": "anonymous"}, "language": "en",
			"reporter": "outreach", "receipt": receipt,
		}
	}
	return out
}

// TestSyncAPI: bearer tokens, the same batch twice (all duplicate), one
// bad item in a hundred, and the problem answers.
func TestSyncAPI(t *testing.T) {
	env := servertest.Start(t)
	url := env.URL + "/api/v1/outreach/sync"
	dev, token, err := env.Deps.Devices.Create(context.Background(), "u1", "api tablet")
	if err != nil {
		t.Fatal(err)
	}
	items := reports(100)
	items[63]["wish"] = "everything"
	batch, _ := json.Marshal(map[string]any{"reports": items})

	for _, tok := range []string{"", "ghd_nonsense", "Basic abc"} {
		st, h, body := post(t, url, tok, "application/json", batch)
		if st != 401 || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || h.Get("WWW-Authenticate") == "" {
			t.Fatalf("token %q: %d %v %s", tok, st, h, body)
		}
	}
	if st, _, _ := post(t, url, token, "text/plain", batch); st != 415 {
		t.Fatalf("text/plain: %d", st)
	}
	if st, _, _ := post(t, url, token, "application/json", []byte(`{"reports": [`)); st != 400 {
		t.Fatalf("bad JSON: %d", st)
	}
	big, _ := json.Marshal(map[string]any{"reports": reports(501)})
	if st, _, _ := post(t, url, token, "application/json", big); st != 413 {
		t.Fatalf("501 items: %d", st)
	}

	var first, second syncResp
	for i, out := range []*syncResp{&first, &second} {
		st, h, body := post(t, url, token, "application/json", batch)
		if st != 200 || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("sync %d: %d %s", i, st, body)
		}
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatal(err)
		}
	}
	created := 0
	for i, r := range first.Results {
		if r.ID != items[i]["id"] {
			t.Fatalf("result %d is for %s", i, r.ID)
		}
		switch {
		case i == 63:
			if r.Result != "rejected" || len(r.Errors) != 1 || r.Errors[0].Field != "wish" || r.Errors[0].Detail != "Choose what you want from us." {
				t.Fatalf("bad item: %+v", r)
			}
		case r.Result == "created":
			created++
		}
		again := second.Results[i]
		if i != 63 && (again.Result != "duplicate" || again.Reference != r.Reference) {
			t.Fatalf("second send of %d: %+v (first %+v)", i, again, r)
		}
	}
	if created != 99 || len(first.Results) != 100 {
		t.Fatalf("created %d of %d", created, len(first.Results))
	}
	if got := len(casesOnServer(t, env)); got != 99 {
		t.Fatalf("server has %d cases", got)
	}

	if err := env.Deps.Devices.Revoke(context.Background(), dev.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := post(t, url, token, "application/json", batch); st != 401 {
		t.Fatalf("revoked device: %d", st)
	}
}

// TestRegisterAPI: only a signed-in outreach, coordinator or admin user
// with a second factor registers a tablet; the token is shown once.
func TestRegisterAPI(t *testing.T) {
	env := servertest.Start(t)
	url := env.URL + "/api/v1/outreach/devices"
	user, codes := outreachUser(t, env, "outreach")
	handler, hcodes := outreachUser(t, env, "handler")
	reg := func(email, pw, code string) (int, []byte) {
		b, _ := json.Marshal(map[string]string{"email": email, "password": pw, "code": code, "label": "Tablet 1"})
		st, _, body := post(t, url, "", "application/json", b)
		return st, body
	}
	if st, body := reg(user.Email, "wrong password here", codes[0]); st != 401 {
		t.Fatalf("wrong password: %d %s", st, body)
	}
	if st, body := reg(user.Email, "correct horse battery staple", "000000"); st != 401 {
		t.Fatalf("wrong code: %d %s", st, body)
	}
	if st, body := reg(handler.Email, "correct horse battery staple", hcodes[0]); st != 403 {
		t.Fatalf("handler: %d %s", st, body)
	}
	st, body := reg(user.Email, "correct horse battery staple", codes[0])
	if st != 201 {
		t.Fatalf("register: %d %s", st, body)
	}
	var out struct{ ID, Token, Label string }
	_ = json.Unmarshal(body, &out)
	if out.ID == "" || !strings.HasPrefix(out.Token, "ghd_") || out.Label != "Tablet 1" {
		t.Fatalf("answer %s", body)
	}
	dev, err := env.Deps.Devices.Authenticate(context.Background(), out.Token)
	if err != nil || dev.UserID != user.ID {
		t.Fatalf("token: %v %+v", err, dev)
	}
	// A recovery code works once.
	if st, body := reg(user.Email, "correct horse battery staple", codes[0]); st != 401 {
		t.Fatalf("used code again: %d %s", st, body)
	}
	if st, _, _ := post(t, url, "", "text/plain", []byte("x")); st != 415 {
		t.Fatalf("text/plain: %d", st)
	}
}

// TestAppFiles: the worker, the manifest, the catalogs and the shell.
func TestAppFiles(t *testing.T) {
	env := servertest.Start(t)
	st, h, sw := get(t, env.URL+"/app/sw.js")
	if st != 200 || h.Get("Service-Worker-Allowed") != "/app/" || h.Get("Cache-Control") != "no-cache" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Fatalf("sw.js: %d %v", st, h)
	}
	if strings.Contains(string(sw), "%%VERSION%%") || strings.Contains(string(sw), "/*SHELL*/") {
		t.Fatal("sw.js placeholders not filled")
	}
	for _, u := range []string{"/app/", "/app/js/main.js", "/app/app.css", "/app/icons/app-192.png", "/app/config.json", "/app/i18n/nl.json"} {
		if !strings.Contains(string(sw), `"`+u+`"`) {
			t.Errorf("the worker does not precache %s", u)
		}
		if st, h, _ := get(t, env.URL+u); st != 200 || h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" {
			t.Errorf("%s: %d %v", u, st, h)
		}
	}
	st, h, _ = get(t, env.URL+"/app")
	if st != 301 || h.Get("Location") != "/app/" {
		t.Fatalf("/app: %d %v", st, h)
	}
	st, h, _ = get(t, env.URL+"/app/")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("/app/: %d %v", st, h)
	}
	_, _, mb := get(t, env.URL+"/app/manifest.webmanifest")
	var m struct {
		Name     string `json:"name"`
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Display  string `json:"display"`
		Icons    []struct{ Src, Sizes, Purpose string }
	}
	_ = json.Unmarshal(mb, &m)
	if m.Name != "Gehoord" || m.StartURL != "/app/" || m.Scope != "/app/" || m.Display != "standalone" {
		t.Fatalf("manifest %s", mb)
	}
	purposes := map[string]bool{}
	for _, ic := range m.Icons {
		purposes[ic.Sizes+" "+ic.Purpose] = true
		if st, _, _ := get(t, env.URL+ic.Src); st != 200 {
			t.Errorf("icon %s: %d", ic.Src, st)
		}
	}
	if !purposes["192x192 any"] || !purposes["512x512 any"] || !purposes["512x512 maskable"] {
		t.Fatalf("icons %v", purposes)
	}
	_, _, cat := get(t, env.URL+"/app/i18n/en.json")
	var msgs map[string]any
	if err := json.Unmarshal(cat, &msgs); err != nil || msgs["app.unlock.title"] != "Unlock" || msgs["form.description"] == nil || msgs["staff.nav.inbox"] != nil {
		t.Fatalf("catalog: %v", err)
	}
	if st, _, _ := get(t, env.URL+"/app/nothing.js"); st != 404 {
		t.Fatalf("unknown file: %d", st)
	}
}

// TestShellBudget: what the service worker precaches is at most 150 KB
// compressed (gzip, as served), with every catalog included.
func TestShellBudget(t *testing.T) {
	h, err := appui.New(appui.Handler{Catalog: i18n.Default()})
	if err != nil {
		t.Fatal(err)
	}
	total, raw := 0, 0
	for _, u := range append(h.Shell(), "/app/sw.js") {
		body, ok := h.File(u)
		if !ok {
			t.Fatalf("no %s", u)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		total += buf.Len()
		raw += len(body)
	}
	t.Logf("app shell: %d files, %d bytes, %d bytes gzip (budget 150 KB)", len(h.Shell())+1, raw, total)
	if total > 150*1024 {
		t.Fatalf("the app shell is %d bytes gzip, over the 150 KB budget", total)
	}
}

// TestAppAPIProblemsSayWhy: every refusal of the app's API is a problem
// document whose detail says why, in the language the tablet asks for.
func TestAppAPIProblemsSayWhy(t *testing.T) {
	env := servertest.Start(t)
	_, token, err := env.Deps.Devices.Create(context.Background(), "u1", "api tablet")
	if err != nil {
		t.Fatal(err)
	}
	send := func(path, tok, ctype, body string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Accept-Language", "nl")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var p struct {
			Status int
			Detail string
		}
		if err := json.Unmarshal(b, &p); err != nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") || p.Status != res.StatusCode {
			t.Fatalf("%s: %d %s %s", path, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		return res.StatusCode, res.Header, p.Detail
	}
	cat := env.Deps.Catalog
	cs := []struct {
		name, path, token, ctype, body string
		status                         int
		key                            string
	}{
		{"unknown device", "/api/v1/outreach/sync", "ghd_nonsense", "application/json", `{}`, 401, "app.device.revoked"},
		{"not JSON", "/api/v1/outreach/sync", token, "text/plain", `{}`, 415, "error.media_type"},
		{"bad JSON", "/api/v1/outreach/sync", token, "application/json", `{"reports": 5}`, 400, "error.bad_request"},
		{"wrong sign-in", "/api/v1/outreach/devices", "", "application/json", `{"email":"nobody@desk.test","password":"x","code":"1"}`, 401, "app.signin.failed"},
	}
	for _, c := range cs {
		st, _, detail := send(c.path, c.token, c.ctype, c.body)
		if st != c.status || detail != cat.T("nl", c.key) {
			t.Errorf("%s: %d %q, want %d %q", c.name, st, detail, c.status, cat.T("nl", c.key))
		}
	}
}
