package staffui_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// staffBrowser opens Chromium signed in as c (its session cookie copied
// from the Go client), counting the forms it posts to the case pages.
func staffBrowser(t *testing.T, env *servertest.Env, c *stafftest.Client) (context.Context, *atomic.Int32) {
	t.Helper()
	ctx := browsertest.New(t)
	posts := &atomic.Int32{}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == "POST" && strings.Contains(e.Request.URL, "/staff/cases/") {
			posts.Add(1)
		}
	})
	u, _ := url.Parse(env.URL + "/staff/")
	var token string
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "gehoord_staff" {
			token = k.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	if err := chromedp.Run(ctx, network.Enable(),
		network.SetCookie("gehoord_staff", token).WithURL(env.URL+"/").WithHTTPOnly(true)); err != nil {
		t.Fatal(err)
	}
	return ctx, posts
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestCasePageCommonPathInThreeSubmits: a handler takes a new case,
// triages it and chooses the route, answers her and closes it — three
// forms posted in the browser, once without JavaScript and once with it.
func TestCasePageCommonPathInThreeSubmits(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	for _, js := range []bool{false, true} {
		k := newCase(t, env, nil)
		ctx, posts := staffBrowser(t, env, h)
		if !js {
			run(t, ctx, "no scripts", emulation.SetScriptExecutionDisabled(true))
		}
		cp := env.URL + "/staff/cases/" + k.ID

		run(t, ctx, "open the case", chromedp.Navigate(cp), chromedp.WaitVisible("#description", chromedp.ByQuery))
		// Her words, the deadlines and the first action are on the first screen.
		var first bool
		run(t, ctx, "first screen", chromedp.Evaluate(`(() => { const h = innerHeight;
			return ["#description", "#deadlines", "#take-form"].every(s => { const r = document.querySelector(s).getBoundingClientRect(); return r.top < h && r.height > 0 }) })()`, &first))
		if !first {
			t.Errorf("js %v: her words, deadlines or the next action are not on the first screen", js)
		}
		// A mark on this document: with the script, no form reloads it.
		run(t, ctx, "mark", chromedp.Evaluate(`window.stayed = true`, nil))
		run(t, ctx, "take", chromedp.Click("#take-form button", chromedp.ByQuery), chromedp.WaitVisible("#route-form", chromedp.ByQuery))
		run(t, ctx, "route", chromedp.Click(`#route-form input[value="listening"]`, chromedp.ByQuery),
			chromedp.Click("#route-form button", chromedp.ByQuery), chromedp.WaitVisible("#f-close", chromedp.ByQuery))
		var hash string
		run(t, ctx, "back where she was", chromedp.Evaluate(`location.hash`, &hash))
		if hash != "#s-next" {
			t.Errorf("js %v: after choosing the route the page is at %q, want the section acted in", js, hash)
		}
		run(t, ctx, "answer and close",
			chromedp.SendKeys("#f-line", "We listened, and we wrote down what happened to you.", chromedp.ByQuery),
			chromedp.SetValue("#f-close", string(cases.OutcomeResolved), chromedp.ByQuery),
			chromedp.Click(`#message-form button[value="send"]`, chromedp.ByQuery),
			// A closed case offers no answer form any more.
			chromedp.WaitNotPresent(`#f-close`, chromedp.ByQuery))
		c, err := env.Deps.Cases.Get(t.Context(), k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != cases.StateClosed || c.Outcome != cases.OutcomeResolved || c.AssignedTo != h.User.ID || c.Route != cases.StateListening {
			t.Errorf("js %v: after the common path: %s %s %q route %s", js, c.State, c.Outcome, c.AssignedTo, c.Route)
		}
		if sent, _ := env.Deps.Cases.ExplanationSent(t.Context(), k.ID); !sent {
			t.Errorf("js %v: closed without the reasoned answer", js)
		}
		var stayed bool
		run(t, ctx, "stayed", chromedp.Evaluate(`window.stayed === true`, &stayed))
		if stayed != js {
			t.Errorf("js %v: the page was reloaded: %v", js, !stayed)
		}
		if n := posts.Load(); n > 3 {
			t.Errorf("js %v: %d submits for the common path, want at most 3", js, n)
		}
	}
}

// TestStaffPagesAtPhoneWidth: at 390 px the inbox and the case page
// scroll only downwards: no table, deadline or form sticks out. The
// screenshots are kept in GEHOORD_SCREENSHOTS when set.
func TestStaffPagesAtPhoneWidth(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	th, err := env.Deps.Cases.CreateTheme(t.Context(), "test", "Bank weigert zakelijke rekeningen voor sekswerkers in de hele regio", "business", "Bank X")
	if err != nil {
		t.Fatal(err)
	}
	var k cases.Result
	for i := range 6 {
		k = newCase(t, env, func(in *cases.Input) {
			in.About = "Internationale Nederlandse Bankvereniging Hoofdkantoor Amsterdam-Zuidoost"
			in.Description = strings.Repeat("Ze zeiden dat mijn werk niet past bij hun beleid. ", 8) + "https://example.org/een/heel/lange/link/zonder/spaties/die/niet/mag/uitsteken"
		})
		if err := env.Deps.Cases.LinkTheme(t.Context(), k.ID, th.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			assign(t, env, k.ID, co.User.ID)
		}
	}
	ctx, _ := staffBrowser(t, env, co)
	run(t, ctx, "phone", emulation.SetDeviceMetricsOverride(390, 844, 3, true))
	dir := os.Getenv("GEHOORD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, p := range []struct{ name, path, wait string }{
		{"inbox", "/staff/", "table.inbox"},
		{"case", "/staff/cases/" + k.ID, "#description"},
	} {
		var wide struct {
			Scroll, Width float64
			Out           []string
		}
		var shot []byte
		run(t, ctx, p.name, chromedp.Navigate(env.URL+p.path), chromedp.WaitVisible(p.wait, chromedp.ByQuery),
			chromedp.Evaluate(`(() => { const w = document.documentElement.clientWidth;
				const out = Array.from(document.querySelectorAll("main *")).filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > w + 0.5 || r.left < -0.5) })
					.slice(0, 5).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className);
				return {Scroll: document.documentElement.scrollWidth, Width: w, Out: out} })()`, &wide),
			chromedp.FullScreenshot(&shot, 80))
		if err := os.WriteFile(filepath.Join(dir, "staff-"+p.name+"-390.jpg"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if wide.Width > 400 || wide.Scroll > wide.Width || len(wide.Out) > 0 {
			t.Errorf("%s at 390 px: page %v px wide in a %v px viewport; sticking out: %v", p.name, wide.Scroll, wide.Width, wide.Out)
		}
	}
}
