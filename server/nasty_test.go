package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/servertest"
)

// nasty is the list of hostile values tried in every field of every public
// endpoint.
var nasty = map[string]string{
	"huge":        strings.Repeat("x", 11000),
	"nul":         "Roxy\x00admin",
	"invalid utf": "Ro\xff\xfexy",
	"rtl":         "Roxy \u202egnp.exe",
	"isolate":     "06\u2066-1234\u2069",
	"homoglyph":   "Аdmin Рaypal", // Cyrillic А and Р
	"markup":      `<script>alert(1)</script><img src=x onerror=alert(2)>`,
	"crlf":        "Roxy\r\nSet-Cookie: session=evil",
	"traversal":   "../../../../etc/passwd",
	"emoji zwj":   "👩‍👩‍👧 family",
	"template":    "{{.Page}} ${7*7} %s %n",
}

// shortControl are the values a short field must refuse.
var shortControl = []string{"nul", "invalid utf", "rtl", "isolate", "crlf"}

func checkAnswer(t *testing.T, what string, res *http.Response, body []byte) {
	t.Helper()
	if res.StatusCode >= 500 {
		t.Errorf("%s: %d\n%.300s", what, res.StatusCode, body)
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Errorf("%s: a cookie was set: %q", what, res.Header.Get("Set-Cookie"))
	}
	if strings.Contains(string(body), "<script>alert(1)") {
		t.Errorf("%s: markup came back unescaped", what)
	}
	if strings.HasPrefix(res.Request.URL.Path, "/api/") && res.StatusCode >= 400 {
		var p struct{ Detail string }
		if res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Detail == "" {
			t.Errorf("%s: %d without a problem document that says why: %q %.200s", what, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}

func do(t *testing.T, c *http.Client, method, u, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// TestNastyInputOnEveryPublicEndpoint: every value of the nasty list in
// every field of every public form and API call, in paths and queries:
// never a 5xx, never a cookie or an injected header, never markup back
// unescaped; the API always says why it refused. Control characters, NUL,
// invalid UTF-8 and bidirectional overrides are refused in short fields
// (a name, a contact), naming the field.
func TestNastyInputOnEveryPublicEndpoint(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(map[string]string{
		"GEHOORD_REPORTS_PER_ADDRESS": "100000", "GEHOORD_REPORTS_PER_HOUR": "100000"}))
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	named := func() map[string]any {
		return map[string]any{"kind": "complaint", "category": "police", "description": "Hij hield mijn paspoort vast",
			"wish": "advice", "identity": map[string]any{"mode": "named", "name": "Roxy", "contact": "06 12345678"}, "language": "nl"}
	}
	i := 0
	for name, v := range nasty {
		// The JSON API: each field of a report, a status lookup and a reply.
		for _, field := range []string{"description", "name", "contact", "kind", "municipality", "card"} {
			r := named()
			switch field {
			case "name", "contact":
				r["identity"].(map[string]any)[field] = v
			default:
				r[field] = v
			}
			i++
			res, body := do(t, c, "POST", env.URL+"/api/v1/reports", "application/json", jsonBody(t, r))
			checkAnswer(t, "API report, "+field+" "+name, res, body)
			if (field == "name" || field == "contact") && contains(shortControl, name) {
				if res.StatusCode != 422 || !strings.Contains(string(body), `"field":"identity.`+field+`"`) {
					t.Errorf("API report with %s in %s: %d %.300s, want 422 naming identity.%s", name, field, res.StatusCode, body, field)
				}
			}
		}
		for _, p := range []string{"/api/v1/status", "/api/v1/status/messages"} {
			res, body := do(t, c, "POST", env.URL+p, "application/json", jsonBody(t, map[string]string{"receipt": v, "body": v, "lang": v}))
			checkAnswer(t, p+" "+name, res, body)
		}
		// The forms: every field of the intake form; the status forms.
		for _, field := range []string{"id", "token", "description", "about", "name", "happened_on"} {
			f := reportForm(env, "Hij hield mijn paspoort vast")
			f.Set("identity_mode", "named")
			f.Set("name", "Roxy")
			f.Set(field, v)
			res, body := do(t, c, "POST", env.URL+"/nl/report", formType, []byte(f.Encode()))
			checkAnswer(t, "form report, "+field+" "+name, res, body)
			if field == "name" && contains(shortControl, name) {
				// Followed to the page it leads to: the form again, the
				// field's error on it.
				a := mustSend(t, env, "/nl/report", formType, []byte(f.Encode()), "")
				if a.status != 422 || !bytes.Contains(a.body, []byte("tekens in die we niet kunnen gebruiken")) {
					t.Errorf("form with %s in the name: %d, want 422 with the field's error", name, a.status)
				}
			}
		}
		for _, p := range []string{"/nl/status", "/nl/status/reply", "/nl/status/heard", "/nl/report/saved"} {
			f := url.Values{"receipt": {v}, "body": {v}, "t": {v}, "heard": {v}, "reason": {v}, "saved": {v}}
			res, body := do(t, c, "POST", env.URL+p, formType, []byte(f.Encode()))
			checkAnswer(t, "form "+p+" "+name, res, body)
		}
		// Paths and queries.
		esc := url.PathEscape(v)
		for _, u := range []string{"/nl/report?card=" + url.QueryEscape(v), "/nl/v/" + esc, "/" + esc + "/report",
			"/assets/" + esc, "/api/v1/categories?lang=" + url.QueryEscape(v), "/nl/status?e=" + url.QueryEscape(v)} {
			res, body := do(t, c, "GET", env.URL+u, "", nil)
			checkAnswer(t, "GET "+u, res, body)
		}
	}
	// Deep JSON: refused as JSON, not a crash or a stack overflow.
	for _, deep := range []string{strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)} {
		for _, p := range []string{"/api/v1/reports", "/api/v1/status"} {
			res, body := do(t, c, "POST", env.URL+p, "application/json", []byte(deep))
			checkAnswer(t, "deep JSON to "+p, res, body)
			if res.StatusCode != 400 && res.StatusCode != 413 {
				t.Errorf("deep JSON to %s: %d, want 400 or 413", p, res.StatusCode)
			}
		}
	}
	// Raw traversal and header injection that a client library would clean.
	for _, raw := range []string{"GET /assets/../../../../etc/passwd HTTP/1.1", "GET /nl/../../etc/passwd HTTP/1.1",
		"GET /nl/report?card=%0d%0aSet-Cookie:%20x=1 HTTP/1.1", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1"} {
		conn, err := net.Dial("tcp", env.Addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, raw+"\r\nHost: x\r\nConnection: close\r\n\r\n")
		res, body, err := readAnswer(conn, 10*time.Second)
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if res.StatusCode >= 500 || res.Header.Get("Set-Cookie") != "" || bytes.Contains(body, []byte("root:")) {
			t.Errorf("%s: %d, cookie %q", raw, res.StatusCode, res.Header.Get("Set-Cookie"))
		}
	}
	t.Logf("%d nasty values, %d API reports", len(nasty), i)
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
