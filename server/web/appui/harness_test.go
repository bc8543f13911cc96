package appui_test

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// Passphrase is the tablet passphrase the tests choose.
const Passphrase = "lantaarn bij de brug 7"

// backend is a real server that can be stopped and started again on the
// same address and database, as a desk's server restarting.
type backend struct {
	t      *testing.T
	env    *servertest.Env
	dbName string
	key    string
	addr   string
}

func startBackend(t *testing.T) *backend {
	b := &backend{t: t, dbName: storetest.DBName(), key: servertest.NewKey()}
	b.env = servertest.StartWith(t, servertest.Options{DBName: b.dbName, SecretKey: b.key})
	b.addr = b.env.Addr
	return b
}

func (b *backend) stop() { b.env.Stop() }

func (b *backend) restart() {
	b.env = servertest.StartWith(b.t, servertest.Options{DBName: b.dbName, SecretKey: b.key, Addr: b.addr})
}

// proxy is the origin the browser sees. It forwards to the backend and can
// play a dead network, or take a sync request to the server and lose the
// answer on the way back (the worst moment for a connection to drop).
type proxy struct {
	URL     string
	backend *backend
	srv     *http.Server

	mu    sync.Mutex
	down  bool
	syncs int
	// onSync is called with the number of each sync request before it is
	// forwarded; returning true drops the answer after forwarding.
	onSync func(n int) (dropAnswer bool)
	// afterDrop runs after an answer was dropped (e.g. to stop the server).
	afterDrop func()
	// swSuffix, when set, is added to the service worker's VERSION: a new
	// app version as far as the browser can tell.
	swSuffix string
	// blockSync hangs up on sync requests only (the app's files still load).
	blockSync bool
}

func startProxy(t *testing.T, b *backend) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{URL: "http://" + ln.Addr().String(), backend: b}
	target, _ := url.Parse("http://" + b.addr)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = r.In.Host },
		// A dead backend is a dead network to the app.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { hangUp(w) },
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.down
		drop := false
		if !down && r.URL.Path == "/api/v1/outreach/sync" {
			p.syncs++
			if p.onSync != nil {
				drop = p.onSync(p.syncs)
			}
		}
		after := p.afterDrop
		suffix := p.swSuffix
		if p.blockSync && r.URL.Path == "/api/v1/outreach/sync" {
			down = true
		}
		p.mu.Unlock()
		if !down && suffix != "" && r.URL.Path == "/app/sw.js" {
			res, err := http.Get("http://" + target.Host + "/app/sw.js")
			if err != nil {
				hangUp(w)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body = regexp.MustCompile(`const VERSION = '([0-9a-f]+)'`).ReplaceAll(body, []byte("const VERSION = '$1"+suffix+"'"))
			for _, k := range []string{"Content-Type", "Service-Worker-Allowed", "Cache-Control"} {
				w.Header().Set(k, res.Header.Get(k))
			}
			_, _ = w.Write(body)
			return
		}
		if down {
			hangUp(w)
			return
		}
		if drop {
			out := r.Clone(r.Context())
			out.URL.Scheme, out.URL.Host, out.RequestURI = "http", target.Host, ""
			res, err := http.DefaultTransport.RoundTrip(out)
			if err == nil {
				_, _ = bufio.NewReader(res.Body).WriteTo(discard{})
				res.Body.Close()
			}
			hangUp(w)
			if after != nil {
				after()
			}
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	w.WriteHeader(http.StatusBadGateway)
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// browser is one Chromium run on a profile folder that outlives it, so a
// test can close the browser and open it again on the same profile.
type browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
}

func openBrowser(t *testing.T, profile string) *browser {
	t.Helper()
	path := browsertest.Path
	if p := os.Getenv("GEHOORD_CHROMIUM"); p != "" {
		path = p
	}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(profile)}, browsertest.Flags...)
	tctx, cancelT := context.WithTimeout(context.Background(), 4*time.Minute)
	actx, cancelA := chromedp.NewExecAllocator(tctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: bctx}
	var once sync.Once
	b.cancel = func() {
		once.Do(func() {
			// Closing the first tab's context closes the browser cleanly,
			// so the profile (IndexedDB, service worker) is written out.
			_ = chromedp.Cancel(bctx)
			cancelB()
			cancelA()
			cancelT()
		})
	}
	t.Cleanup(b.cancel)
	chromedp.ListenTarget(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			t.Logf("browser exception: %s", ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				t.Logf("browser console %s: %s", ev.Type, strings.Join(parts, " "))
			}
		}
	})
	if err := chromedp.Run(bctx, addHooks()); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// hooksJS is the tests' way into the app (window.gehoord); the app itself
// carries no test hooks.
//
//go:embed testdata/hooks.js
var hooksJS string

// addHooks makes every document this tab loads from now on run hooksJS
// before the page's own scripts.
func addHooks() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(hooksJS).Do(ctx)
		return err
	})
}

func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// js evaluates an expression (awaiting a promise) and decodes its value.
func (b *browser) js(expr string, out any) {
	b.t.Helper()
	if err := b.jsErr(expr, out); err != nil {
		b.t.Fatalf("js %.120q: %v", expr, err)
	}
}

func (b *browser) jsErr(expr string, out any) error {
	var raw json.RawMessage
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	// The hooks are set up just after the page's scripts have run: a test
	// that uses them right after a navigation waits for them first.
	err := chromedp.Run(b.ctx, chromedp.Evaluate("window.gehoordReady || null", nil, await), chromedp.Evaluate(expr, &raw, await))
	if err != nil {
		return err
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// wait polls a JS condition until it is true.
func (b *browser) wait(cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := b.jsErr("(async () => !!(await ("+cond+")))()", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var html string
			_ = b.jsErr("document.getElementById('main') ? document.getElementById('main').innerText : document.body.innerText", &html)
			b.t.Fatalf("waited %s for %s (err %v); screen:\n%s", timeout, cond, err, html)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) offline(off bool) {
	b.t.Helper()
	b.run(network.Enable(), network.EmulateNetworkConditions(off, 0, -1, -1))
}

// fill sets a form field by selector and tells the page it changed.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	v, _ := json.Marshal(value)
	s, _ := json.Marshal(sel)
	b.js(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error('no ' + %s);
		el.value = %s; el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, s, s, v), nil)
}

func (b *browser) click(sel string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	b.js(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error('no ' + %s); el.click(); return true })()`, s, s), nil)
}

func (b *browser) submit(sel string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	b.js(fmt.Sprintf(`(() => { const f = document.querySelector(%s); if (!f) throw new Error('no ' + %s); f.requestSubmit(); return true })()`, s, s), nil)
}

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = up
	}
}

var axeSrc struct {
	once sync.Once
	src  string
	err  error
}

// axe runs axe-core (from node_modules, never a CDN) on the current screen
// and fails the test on any violation.
func (b *browser) axe(screen string) {
	b.t.Helper()
	axeSrc.once.Do(func() {
		var raw []byte
		raw, axeSrc.err = os.ReadFile(filepath.Join(repoRoot(b.t), "node_modules", "axe-core", "axe.min.js"))
		axeSrc.src = string(raw)
	})
	if axeSrc.err != nil {
		b.t.Fatalf("axe-core is missing: run `npm ci` at the repository root (%v)", axeSrc.err)
	}
	var has bool
	b.js("typeof window.axe === 'object'", &has)
	if !has {
		b.js(axeSrc.src+"\n;true", nil)
	}
	var violations []string
	b.js(`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>
		v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`, &violations)
	for _, v := range violations {
		b.t.Errorf("axe on %s: %s", screen, v)
	}
}

// outreachUser creates a staff member with a second factor set up and
// returns her e-mail address and recovery codes (each signs in once).
func outreachUser(t *testing.T, env *servertest.Env, role string) (*staff.User, []string) {
	t.Helper()
	ctx := context.Background()
	svc := staff.New(staff.Config{Store: env.Deps.Store, Sealer: env.Deps.Sealer})
	email := fmt.Sprintf("%s-%d@desk.test", role, time.Now().UnixNano())
	u, err := svc.Create(ctx, staff.NewUser{Email: email, Name: "Veldwerker", Role: role, Lang: "nl", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	setup, err := svc.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(setup.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	u, err = svc.Get(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := svc.ConfirmTOTP(ctx, u, code, "")
	if err != nil {
		t.Fatal(err)
	}
	return u, codes
}

// casesOnServer returns the server's cases by client id.
func casesOnServer(t *testing.T, env *servertest.Env) map[string][]cases.Case {
	t.Helper()
	cur, err := env.Deps.Store.C("cases").Find(context.Background(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var all []cases.Case
	if err := cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	out := map[string][]cases.Case{}
	for _, c := range all {
		out[c.ClientID] = append(out[c.ClientID], c)
	}
	return out
}

// setupTablet registers a device directly and prepares the app through
// its own modules (vault and device token), for tests about the sync.
func setupTablet(t *testing.T, b *browser, env *servertest.Env, origin string) (deviceID string) {
	t.Helper()
	dev, token, err := env.Deps.Devices.Create(context.Background(), "user-1", "test tablet")
	if err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(origin + "/app/"))
	b.wait("window.gehoord && document.querySelector('#signin')", 20*time.Second)
	tok, _ := json.Marshal(token)
	kid, key := env.Deps.Sealer.Desk().PublicKey()
	desk, _ := json.Marshal(map[string]string{"kid": kid, "key": base64.RawURLEncoding.EncodeToString(key)})
	b.js(fmt.Sprintf(`(async () => { await gehoord.vault.create(%q);
		await gehoord.store.setDevice({id: %q, token: %s, label: 't', desk_key: %s}, 'nl'); return true })()`, Passphrase, dev.ID, tok, desk), nil)
	return dev.ID
}

// reportJS is a report body as the app makes it.
func reportJS(description string) string {
	d, _ := json.Marshal(description)
	return fmt.Sprintf(`Object.assign(gehoord.emptyReport(null, 'en'), {kind: 'complaint', category: 'police',
		description: %s, wish: 'heard', identity: {mode: 'anonymous'}})`, d)
}

// queueLen: items not yet at the desk (sealed in the outbox).
func (b *browser) queueLen() int {
	var n int
	b.js(`gehoord.store.waiting()`, &n)
	return n
}
