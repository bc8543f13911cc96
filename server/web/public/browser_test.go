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
	pages := []string{"/", "/report", "/status", "/privacy", "/languages", "/rights", "/help"}
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
	var loc string
	// Point the exit at a page of our own so the test reaches no other host.
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.URL+"/nl/"),
		chromedp.Navigate(env.URL+"/nl/report"),
		chromedp.SendKeys(`#f-description`, "geheim", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('quick-exit').href = location.origin + '/en/privacy'`, nil),
		chromedp.Click(`#quick-exit`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Location(&loc),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/en/privacy") {
		t.Fatalf("exit went to %s", loc)
	}
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`history.back()`, nil),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Location(&loc),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, "/report") {
		t.Fatalf("Back returned to the form: %s", loc)
	}
}

func emulateScheme(ctx context.Context, scheme string) error {
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}).Do(ctx)
}
