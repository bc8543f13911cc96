package public_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestPublicPagesAccessibleInEveryLanguage runs axe-core (WCAG 2.2 A/AA) on
// every public page in every public language, in light and dark schemes,
// and checks that no page requests anything from another host.
func TestPublicPagesAccessibleInEveryLanguage(t *testing.T) {
	env := servertest.Start(t)
	// About 100 pages with axe: more than the default browser budget.
	browsertest.Timeout = 10 * time.Minute
	defer func() { browsertest.Timeout = 2 * time.Minute }()
	ctx := browsertest.New(t)
	var mu sync.Mutex
	var foreign []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != env.Addr {
				mu.Lock()
				foreign = append(foreign, e.Request.URL)
				mu.Unlock()
			}
		}
	})
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/report", "/status", "/privacy", "/languages", "/rights", "/rights/legal", "/help"}
	for _, scheme := range []string{"light", "dark"} {
		if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
			return emulateScheme(ctx, scheme)
		})); err != nil {
			t.Fatal(err)
		}
		for _, lang := range cases.PublicLanguages {
			for _, p := range pages {
				if scheme == "dark" && lang != "nl" && lang != "th" {
					continue // dark differs only in colours: two scripts suffice
				}
				path := "/" + lang + p
				if err := chromedp.Run(ctx, chromedp.Navigate(env.URL+path)); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, v := range browsertest.Axe(ctx, t) {
					t.Errorf("%s (%s): %s", path, scheme, v)
				}
			}
		}
	}
	// The form with its errors shown, and the receipt and status pages.
	var receipt string
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/en/report"),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.error-summary`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("form with errors: %s", v)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/en/report"),
		chromedp.Click(`input[name=kind][value=complaint]`, chromedp.ByQuery),
		chromedp.Click(`input[name=category][value=police]`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-description`, "They came in without a reason", chromedp.ByQuery),
		chromedp.Click(`input[name=wish][value=advice]`, chromedp.ByQuery),
		chromedp.Click(`input[name=identity_mode][value=anonymous]`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#receipt`, chromedp.ByQuery),
		chromedp.Text(`#receipt`, &receipt, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("receipt page: %s", v)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/en/status"),
		chromedp.SendKeys(`#f-receipt`, receipt, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.thread`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("status page: %s", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Fatalf("requests to other hosts: %v", foreign)
	}
}

// TestQuickExitReplacesHistory: with JavaScript the exit link replaces the
// history entry, so Back does not return to her form.
func TestQuickExitReplacesHistory(t *testing.T) {
	env := servertest.Start(t)
	ctx := browsertest.New(t)
	// Point the exit at a page of our own so the test reaches no other host.
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/nl/"),
		chromedp.Navigate(env.URL+"/nl/report"),
		chromedp.SendKeys(`#f-description`, "geheim", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('quick-exit').href = location.origin + '/en/privacy'`, nil),
		chromedp.Click(`#quick-exit`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc := waitLocation(t, ctx, func(l string) bool { return strings.HasSuffix(l, "/en/privacy") })
	if !strings.HasSuffix(loc, "/en/privacy") {
		t.Fatalf("exit went to %s", loc)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`history.back()`, nil)); err != nil {
		t.Fatal(err)
	}
	// Back leaves the privacy page; it must not land on the form.
	loc = waitLocation(t, ctx, func(l string) bool { return !strings.HasSuffix(l, "/en/privacy") })
	if strings.Contains(loc, "/report") {
		t.Fatalf("Back returned to the form: %s", loc)
	}
}

// waitLocation polls the page's address until ok holds (or 10 s pass) and
// returns the last address seen: navigation takes its own time on a busy
// machine, so no fixed sleep.
func waitLocation(t *testing.T, ctx context.Context, ok func(string) bool) string {
	t.Helper()
	var loc string
	for range 100 {
		if err := chromedp.Run(ctx, chromedp.Location(&loc)); err == nil && ok(loc) {
			return loc
		}
		time.Sleep(100 * time.Millisecond)
	}
	return loc
}

func emulateScheme(ctx context.Context, scheme string) error {
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}).Do(ctx)
}

// TestTouchTargetsAndKeyboard: every control on the public pages is at
// least 44 px tall (links inside running text excepted, as WCAG does), and
// the intake form can be filled and sent with the keyboard alone.
func TestTouchTargetsAndKeyboard(t *testing.T) {
	env := servertest.Start(t)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatal(err)
	}
	const small = `[...document.querySelectorAll('button, select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), .choice, .nav a, .langs a, .exit, .brand, .cards a, .button')]
		.filter(e => e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().height < 44)
		.map(e => e.outerHTML.slice(0, 80) + ' ' + Math.round(e.getBoundingClientRect().height) + 'px')`
	for _, p := range []string{"/nl/", "/nl/report", "/nl/status", "/th/help", "/ro/rights", "/en/privacy"} {
		var bad []string
		if err := chromedp.Run(ctx, chromedp.Navigate(env.URL+p), chromedp.Evaluate(small, &bad)); err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			t.Errorf("%s: target under 44 px: %s", p, b)
		}
	}
	// Keyboard only: the first Tab reaches the skip link, and the form is
	// filled with Tab, arrow keys, Space and typing, then sent with Enter.
	var first, receipt string
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/en/report"),
		chromedp.KeyEvent("\t"),
		chromedp.Evaluate(`document.activeElement.className`, &first),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first != "skip" {
		t.Fatalf("first Tab focuses %q, want the skip link", first)
	}
	focusAndPress := func(sel, keys string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if err := chromedp.Focus(sel, chromedp.ByQuery).Do(ctx); err != nil {
				return err
			}
			return chromedp.KeyEvent(keys).Do(ctx)
		})
	}
	err = chromedp.Run(ctx,
		focusAndPress(`input[name=kind][value=complaint]`, " "),
		focusAndPress(`input[name=category][value=police]`, " "),
		focusAndPress(`#f-description`, "They searched my room without a warrant"),
		focusAndPress(`input[name=wish][value=heard]`, " "),
		focusAndPress(`input[name=identity_mode][value=anonymous]`, " "),
		focusAndPress(`button[type=submit]`, "\r"),
		chromedp.WaitVisible(`#receipt`, chromedp.ByQuery),
		chromedp.Text(`#receipt`, &receipt, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.ReplaceAll(receipt, " ", "")) != 16 {
		t.Fatalf("keyboard-only submit gave %q", receipt)
	}
	// Focus is visible: what the keyboard focuses gets an outline.
	var outline string
	if err := chromedp.Run(ctx, chromedp.Navigate(env.URL+"/en/status"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"),
		chromedp.Evaluate(`getComputedStyle(document.activeElement).outlineStyle`, &outline)); err != nil {
		t.Fatal(err)
	}
	if outline == "none" || outline == "" {
		t.Fatalf("the keyboard-focused element has outline %q", outline)
	}
}
