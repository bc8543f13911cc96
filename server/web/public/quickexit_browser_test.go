package public_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
)

// narrowPages are the public pages a phone shows; each is checked in every
// language at each width.
var narrowPages = []string{"/", "/report", "/status", "/status?e=not_found", "/privacy", "/languages", "/rights", "/rights/door",
	"/rights/legal", "/help", "/help?go=1", "/report/saved", "/v/expired-or-unknown", "/no-such-page"}

// layoutProbe reports, for the page shown, where the quick exit is and
// whether the page is wider than the screen.
const layoutProbe = `(() => {
	const e = document.getElementById('quick-exit');
	const r = e ? e.getBoundingClientRect() : null;
	const d = document.documentElement;
	return {
		found: !!e,
		left: r ? r.left : 0, right: r ? r.right : 0, top: r ? r.top : 0, bottom: r ? r.bottom : 0,
		vw: d.clientWidth,
		scrollWidth: d.scrollWidth, clientWidth: d.clientWidth,
		bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
		promiseBottom: (() => { const p = document.querySelector('.promise'); return p ? p.getBoundingClientRect().bottom : -1; })(),
		promiseWidth: (() => { const p = document.querySelector('.promise'); if (!p) return 0; const c = p.cloneNode(true);
			c.style.cssText = 'position:absolute;white-space:nowrap;flex-basis:auto'; p.parentNode.appendChild(c); const w = c.getBoundingClientRect().width; c.remove(); return w; })(),
		promiseLines: (() => { const p = document.querySelector('.promise'); if (!p) return 0;
			const cs = getComputedStyle(p); return Math.round(p.getBoundingClientRect().height / parseFloat(cs.lineHeight)); })(),
	};
})()`

// screenHeight is the phone's screen height in CSS pixels: the quick exit
// must be on the first screen, without scrolling.
const screenHeight = 740

type layout struct {
	Found                    bool
	Left, Right, Top, Bottom float64
	VW                       float64
	ScrollWidth, ClientWidth float64
	BodyFont                 float64
	PromiseBottom            float64
	PromiseLines             int
	PromiseWidth             float64
}

// TestQuickExitReachableOnSmallScreens: on every public page, in every
// public language, on a 360 px phone with 200 % text size and at 320 px
// width (and at 360 px), the quick exit is wholly inside the first screen
// and the page does not scroll sideways; the home page's promise (not the
// police, not the GGD, anonymous) is on the first screen too.
//
// 200 % text is set the way a person does it in the browser: the default
// font size (Page.setFontSizes, what Chromium's "font size" setting
// changes) goes from 16 to 32 px, so every size in rem or em doubles. The
// test checks that the body text really doubled (it would not with page
// scale emulation, which only zooms the picture).
func TestQuickExitReachableOnSmallScreens(t *testing.T) {
	env := servertest.Start(t)
	browsertest.Timeout = 6 * time.Minute
	defer func() { browsertest.Timeout = 2 * time.Minute }()
	ctx := browsertest.New(t)
	modes := []struct {
		name        string
		width       int64
		defaultFont int64
	}{
		{"360px, 200% text", 360, 32},
		{"320px", 320, 16},
		{"360px", 360, 16},
	}
	for _, m := range modes {
		err := chromedp.Run(ctx,
			emulation.SetDeviceMetricsOverride(m.width, screenHeight, 1, true),
			chromedp.ActionFunc(func(ctx context.Context) error {
				return page.SetFontSizes(&page.FontSizes{Standard: m.defaultFont, Fixed: m.defaultFont * 13 / 16}).Do(ctx)
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range cases.PublicLanguages {
			for _, p := range narrowPages {
				if m.name == "360px" && p != "/" {
					continue // the usual size: only the home page's promise is checked
				}
				path := "/" + lang + p
				var l layout
				if err := chromedp.Run(ctx, chromedp.Navigate(env.URL+path), chromedp.Evaluate(layoutProbe, &l)); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				where := fmt.Sprintf("%s (%s)", path, m.name)
				if m.defaultFont == 32 && l.BodyFont < 32 {
					t.Fatalf("%s: body text is %.1f px: the text size did not double", where, l.BodyFont)
				}
				if !l.Found {
					t.Errorf("%s: no quick exit", where)
					continue
				}
				if l.Left < 0 || l.Right > l.VW+0.5 || l.Top < 0 || l.Bottom > screenHeight {
					t.Errorf("%s: quick exit at x %.0f–%.0f, y %.0f–%.0f, outside the %0.f×%d screen", where, l.Left, l.Right, l.Top, l.Bottom, l.VW, screenHeight)
				}
				if p == "/" && (l.PromiseBottom < 0 || l.PromiseBottom > screenHeight) {
					t.Errorf("%s: the promise (not police, not GGD, anonymous) is not on the first screen (bottom at %.0f)", where, l.PromiseBottom)
				}
				if p == "/" && m.name == "360px" && l.PromiseLines != 1 {
					// One line at the usual text size (with Chromium's wide
					// default font); larger text may wrap it.
					t.Errorf("%s: the promise takes %d lines (%.0f px wide)", where, l.PromiseLines, l.PromiseWidth)
				}
				if l.ScrollWidth > l.ClientWidth {
					t.Errorf("%s: the page scrolls sideways (%.0f px wide on a %.0f px screen)", where, l.ScrollWidth, l.ClientWidth)
				}
				// axe on the narrow layouts too, in three scripts.
				if (lang == "nl" || lang == "th" || lang == "zh") && (p == "/" || p == "/report" || p == "/help?go=1") {
					for _, v := range browsertest.Axe(ctx, t) {
						t.Errorf("%s: %s", where, v)
					}
				}
			}
		}
	}
	// Chinese keeps its words whole: the label is not broken inside a word.
	var zh struct {
		Label string
		Rects int
	}
	err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(320, screenHeight, 1, true),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return page.SetFontSizes(&page.FontSizes{Standard: 32, Fixed: 26}).Do(ctx)
		}),
		chromedp.Navigate(env.URL+"/zh/"),
		chromedp.Evaluate(`(() => { const e = document.getElementById('quick-exit'); const r = document.createRange(); r.selectNodeContents(e);
			const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))); return {label: e.textContent, rects: lines.size}; })()`, &zh),
	)
	if err != nil {
		t.Fatal(err)
	}
	if zh.Rects != 1 {
		t.Errorf("zh: the quick exit %q is broken over %d lines at 320 px with 200%% text", zh.Label, zh.Rects)
	}
}
