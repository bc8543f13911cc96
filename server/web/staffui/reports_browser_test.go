package staffui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/workdays"
)

var pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]`)

// TestReportPagesInChromium opens the report, a theme report and the
// dashboard as a signed-in coordinator in Chromium: no console error, no
// axe violation (WCAG 2.2 A and AA), and printing gives A4 pages.
func TestReportPagesInChromium(t *testing.T) {
	env := servertest.Start(t)
	theme, _ := reportData(t, env)
	co := stafftest.SignIn(t, env, "coordinator")

	ctx := browsertest.New(t)
	var mu sync.Mutex
	var problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
				problems = append(problems, fmt.Sprintf("console %s", e.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			// The browser's own request for /favicon.ico is not the page's.
			if e.Entry.Level == log.LevelError && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") {
				problems = append(problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	})
	// The browser takes the session the client signed in with.
	base, _ := url.Parse(env.URL)
	var cookies []*network.CookieParam
	for _, c := range co.Jar.Cookies(base) {
		cookies = append(cookies, &network.CookieParam{Name: c.Name, Value: c.Value, URL: env.URL, Path: "/"})
	}
	if err := chromedp.Run(ctx, network.Enable(), runtime.Enable(), log.Enable(), network.SetCookies(cookies)); err != nil {
		t.Fatal(err)
	}
	month := time.Now().In(workdays.Amsterdam).Format("2006-01")
	for _, p := range []string{
		"/staff/reports?kind=month&value=" + month,
		"/staff/reports/themes/" + theme + "?kind=month&value=" + month,
		"/staff/reports/dashboard?month=" + month,
	} {
		var title string
		var pdf []byte
		err := chromedp.Run(ctx,
			chromedp.Navigate(env.URL+p),
			chromedp.WaitReady("table[data-table]", chromedp.ByQuery),
			chromedp.Title(&title),
			chromedp.ActionFunc(func(ctx context.Context) error {
				var err error
				pdf, _, err = page.PrintToPDF().WithPreferCSSPageSize(true).Do(ctx)
				return err
			}))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if title == "" {
			t.Errorf("%s: no title", p)
		}
		for _, v := range browsertest.Axe(ctx, t) {
			t.Errorf("%s: %s", p, v)
		}
		// A4 is 595.28 × 841.89 points.
		boxes := pdfMediaBox.FindAllSubmatch(pdf, -1)
		if len(boxes) == 0 {
			t.Fatalf("%s: no pages in the PDF", p)
		}
		for _, b := range boxes {
			w, _ := strconv.ParseFloat(string(b[1]), 64)
			h, _ := strconv.ParseFloat(string(b[2]), 64)
			if w < 594 || w > 597 || h < 840 || h > 843 {
				t.Errorf("%s: a printed page of %.1f × %.1f pt, want A4", p, w, h)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console: %v", problems)
	}
	if res := co.Get("/staff/reports"); res.StatusCode != http.StatusOK {
		t.Errorf("the client's session no longer works: %d", res.StatusCode)
	}
}
