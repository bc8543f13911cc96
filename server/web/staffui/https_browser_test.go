package staffui_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// cookieWatch records, from CDP, every Set-Cookie the browser refused and
// every Set-Cookie line it received: Go's cookie jar ignores the __Host-
// rules, only a real browser over TLS shows them.
type cookieWatch struct {
	mu      sync.Mutex
	blocked []string
	lines   []string
}

func (w *cookieWatch) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*network.EventResponseReceivedExtraInfo)
		if !ok {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, b := range e.BlockedCookies {
			w.blocked = append(w.blocked, fmt.Sprintf("%q blocked: %v", b.CookieLine, b.BlockedReasons))
		}
		for k, v := range e.Headers {
			if s, ok := v.(string); ok && strings.EqualFold(k, "set-cookie") {
				w.lines = append(w.lines, strings.Split(s, "\n")...)
			}
		}
	})
}

func (w *cookieWatch) state() (blocked, lines []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.blocked...), append([]string(nil), w.lines...)
}

// tab drives one Chromium tab; failures say where the browser was and
// which cookies it refused.
type tab struct {
	t   *testing.T
	ctx context.Context
	w   *cookieWatch
}

func (b *tab) eval(expr string, out any) error {
	var raw json.RawMessage
	err := chromedp.Run(b.ctx, chromedp.Evaluate(expr, &raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err == nil && out != nil && len(raw) > 0 {
		err = json.Unmarshal(raw, out)
	}
	return err
}

func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	var where, text string
	_ = b.eval("location.href", &where)
	_ = b.eval("document.body ? document.body.innerText : ''", &text)
	blocked, _ := b.w.state()
	b.t.Fatalf("%s\nat %s; refused cookies: %v; page:\n%.600s", fmt.Sprintf(format, args...), where, blocked, text)
}

func (b *tab) js(expr string, out any) {
	b.t.Helper()
	if err := b.eval(expr, out); err != nil {
		b.fatalf("js %.100q: %v", expr, err)
	}
}

// wait polls a selector until it is on the page (a navigation in between
// is fine: evaluation errors while the page changes are retried).
func (b *tab) wait(sel string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		if b.eval(fmt.Sprintf("document.readyState === 'complete' && !!document.querySelector(%s)", s), &ok) == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("waited for %s", sel)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fill types a value into a field the way a page sees typing.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	v, _ := json.Marshal(value)
	b.js(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error('no ' + %s);
		el.value = %s; el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, s, s, v), nil)
}

func (b *tab) click(sel string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	b.js(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error('no ' + %s); el.click(); return true })()`, s, s), nil)
}

// cookies lists the names of the cookies the browser holds for the desk.
func (b *tab) cookies() []string {
	b.t.Helper()
	var names []string
	err := chromedp.Run(b.ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		cs, err := network.GetCookies().Do(ctx)
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return err
	}))
	if err != nil {
		b.fatalf("cookies: %v", err)
	}
	slices.Sort(names)
	return names
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	var out string
	b.js(fmt.Sprintf(`document.querySelector(%s).textContent.trim()`, s), &out)
	return out
}

// TestStaffSignInOverHTTPS serves the desk over TLS with an https public
// URL and walks it in Chromium: a new coordinator signs in with her
// password and sets up TOTP, signs out, signs in with password and code,
// opens a case from the inbox and writes a note on it, then enrols the
// outreach app on this browser. Chromium must store every cookie the desk
// sets (a __Host- cookie needs Secure, Path=/ and no Domain, or it is
// dropped and the next POST fails its CSRF check).
func TestStaffSignInOverHTTPS(t *testing.T) {
	cfg := servertest.SelfSigned(t)
	env := servertest.StartWith(t, servertest.Options{TLS: cfg})
	if !env.Config.Secure() || !strings.HasPrefix(env.URL, "https://") {
		t.Fatalf("not served over TLS: %s", env.URL)
	}

	// A case, as the public API takes it.
	desc := fmt.Sprintf("De bank sloot mijn rekening %d", time.Now().UnixNano())
	r := env.PostJSON(t, "/api/v1/reports", map[string]any{
		"kind": "complaint", "category": "business.bank", "description": desc,
		"about": "Bank Oranje", "municipality": "Utrecht", "wish": "handle",
		"identity": map[string]any{"mode": "anonymous"}, "language": "nl",
	})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create case: %d %s", r.StatusCode, r.Body)
	}
	var created struct{ Reference string }
	r.JSON(t, &created)
	u := stafftest.NewUser(t, env, "coordinator")

	// Chromium trusts this one certificate (by its public key) as if a CA
	// had signed it: no certificate error, so the origin behaves as a
	// real deployment's does (service worker included).
	spki := sha256.Sum256(cfg.Certificates[0].Leaf.RawSubjectPublicKeyInfo)
	ctx := browsertest.New(t, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	w := &cookieWatch{}
	w.listen(ctx)
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: ctx, w: w}
	navigate := func(path string) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Navigate(env.URL+path)); err != nil {
			b.fatalf("navigate %s: %v", path, err)
		}
	}
	password := func() {
		t.Helper()
		navigate("/staff/signin")
		b.wait("#f-password")
		b.fill("#f-email", u.Email)
		b.fill("#f-password", stafftest.Password)
		b.click(`form[action="/staff/signin"] button[type=submit]`)
	}

	// First sign-in: password, then TOTP set-up from the secret shown.
	password()
	b.wait("#totp-secret")
	secret := b.text("#totp-secret")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.fill("#f-code", code)
	b.click(`form[action="/staff/signin/setup"] button[type=submit]`)
	b.wait("#recovery-codes")
	var recovery []string
	b.js(`Array.from(document.querySelectorAll('#recovery-codes code'), c => c.textContent)`, &recovery)
	if len(recovery) == 0 {
		b.fatalf("no recovery codes shown")
	}
	b.click(`main a.button`)
	// The inbox's own search field: the sign-out form is on the page
	// left behind too.
	b.wait(`#f-q`)
	b.wait(`form[action="/staff/signout"]`)
	if got := b.cookies(); len(got) != 1 || got[0] != "__Host-gehoord_staff" {
		b.fatalf("cookies once signed in: %v, want the session cookie only", got)
	}
	b.click(`form[action="/staff/signout"] button`)
	b.wait("#f-password")
	if got := b.cookies(); len(got) != 1 || got[0] != "__Host-gehoord_pre" {
		b.fatalf("cookies after signing out: %v, want the sign-in form's only", got)
	}

	// A sign-in form left open until its cookie expired is shown again
	// with a fresh token, and then works: password and a code of the next
	// time step (the set-up's code is used up).
	if err := chromedp.Run(ctx, network.DeleteCookies("__Host-gehoord_pre").WithURL(env.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.fill("#f-email", u.Email)
	b.fill("#f-password", stafftest.Password)
	b.click(`form[action="/staff/signin"] button[type=submit]`)
	b.wait("#err-signin")
	b.fill("#f-password", stafftest.Password)
	b.click(`form[action="/staff/signin"] button[type=submit]`)
	b.wait("#f-code")
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	b.fill("#f-code", code)
	b.click(`form[action="/staff/signin/code"] button[type=submit]`)

	// The inbox lists the case; open it and write a note (a POST with the
	// session cookie and its CSRF token).
	b.wait(`a[href^="/staff/cases/"]`)
	var ok bool
	ref, _ := json.Marshal(created.Reference)
	b.js(fmt.Sprintf(`(() => { const a = Array.from(document.querySelectorAll('a[href^="/staff/cases/"]')).find(a => a.textContent.trim() === %s);
		if (!a) return false; a.click(); return true })()`, ref), &ok)
	if !ok {
		b.fatalf("case %s is not in the inbox", created.Reference)
	}
	b.wait("#description")
	if got := b.text("#description"); got != desc {
		b.fatalf("case page shows %q", got)
	}
	note := fmt.Sprintf("Gebeld met de bank %d", time.Now().UnixNano())
	b.fill("#f-note", note)
	b.click(`form[action*="/note"] button[type=submit]`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var notes string
		if b.eval("document.readyState === 'complete' && document.querySelector('#notes') ? document.querySelector('#notes').textContent : ''", &notes) == nil && strings.Contains(notes, note) {
			break
		}
		if time.Now().After(deadline) {
			b.fatalf("the note did not appear on the case")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Enrol the outreach app on this browser through its own screens.
	navigate("/app/")
	b.wait("#signin")
	b.fill("#signin [name=email]", u.Email)
	b.fill("#signin [name=password]", stafftest.Password)
	b.fill("#signin [name=code]", recovery[0])
	b.fill("#signin [name=label]", "Tablet TLS")
	b.js(`document.querySelector('#signin').requestSubmit(), true`, nil)
	b.wait("#passphrase")
	b.fill("#passphrase [name=p1]", "lantaarn bij de brug 7")
	b.fill("#passphrase [name=p2]", "lantaarn bij de brug 7")
	b.js(`document.querySelector('#passphrase').requestSubmit(), true`, nil)
	b.wait("#new-report")
	if got := b.cookies(); len(got) != 1 || got[0] != "__Host-gehoord_staff" {
		b.fatalf("cookies at the end: %v, want the session cookie only", got)
	}
	devs, err := env.Deps.Devices.List(t.Context())
	if err != nil || len(devs) != 1 || devs[0].UserID != u.ID || devs[0].Label != "Tablet TLS" {
		t.Fatalf("registered devices: %+v %v", devs, err)
	}

	// Nothing refused on the way, and every cookie the desk set follows
	// the __Host- rules.
	blocked, lines := w.state()
	if len(blocked) > 0 {
		t.Errorf("Chromium refused cookies: %v", blocked)
	}
	if len(lines) == 0 {
		t.Error("no Set-Cookie seen: the watch saw nothing")
	}
	for _, l := range lines {
		attrs := strings.Split(l, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(attrs[0]), "=")
		var path string
		flags := map[string]bool{}
		for _, a := range attrs[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
			k = strings.ToLower(k)
			flags[k] = true
			if k == "path" {
				path = v
			}
			if k == "samesite" && !strings.EqualFold(v, "strict") {
				t.Errorf("cookie %s: SameSite=%s, want Strict", name, v)
			}
		}
		// A cookie is removed by an expiry in the past; an empty value
		// alone would stay in the browser.
		if value == "" && !flags["expires"] && !strings.Contains(strings.ToLower(l), "max-age=0") {
			t.Errorf("cookie %s is emptied but not removed: %s", name, l)
		}
		if !strings.HasPrefix(name, "__Host-") || path != "/" || !flags["secure"] || flags["domain"] || !flags["httponly"] || !flags["samesite"] {
			t.Errorf("cookie over TLS is not a __Host- cookie (Secure, HttpOnly, SameSite, Path=/, no Domain): %s", l)
		}
	}
}
