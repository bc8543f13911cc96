package public_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestHistoryShowsHerNothingAgain files a report, reads the status and
// replies in Chromium, as on a shared phone, with JavaScript on and off;
// after each flow it walks the whole history back and forward with a
// Reload on every entry. No page it finds shows the receipt, what she
// told, the desk's message or her reply, and every entry of the history
// has the neutral title.
func TestHistoryShowsHerNothingAgain(t *testing.T) {
	for _, js := range []bool{true, false} {
		name := "javascript on"
		if !js {
			name = "javascript off"
		}
		t.Run(name, func(t *testing.T) { historyShowsNothingAgain(t, js) })
	}
}

func historyShowsNothingAgain(t *testing.T, js bool) {
	env := servertest.Start(t)
	ctx := browsertest.New(t)
	if !js {
		run(t, ctx, "turn JavaScript off", emulation.SetScriptExecutionDisabled(true))
	}
	const told, reply = "Geheimverhaal Pieterstraat zeven", "Antwoordmarker tweeenveertig"
	const ack = "binnen 5 werkdagen" // the desk's first message in her thread

	var shown string
	run(t, ctx, "file a report",
		chromedp.Navigate(env.URL+"/nl/"),
		chromedp.Navigate(env.URL+"/nl/report"),
		chromedp.Click(`input[name=kind][value=complaint]`, chromedp.ByQuery),
		chromedp.Click(`input[name=category][value=police]`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-description`, told, chromedp.ByQuery),
		chromedp.Click(`input[name=wish][value=advice]`, chromedp.ByQuery),
		chromedp.Click(`input[name=identity_mode][value=anonymous]`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#receipt`, chromedp.ByQuery),
		chromedp.Text(`#receipt`, &shown, chromedp.ByQuery),
	)
	receipt := strings.Join(digits.FindAllString(shown, -1), "")
	if len(receipt) != 16 {
		t.Fatalf("receipt page shows %q", shown)
	}
	secrets := []string{receipt, cases.GroupReceipt(receipt), told}
	walkHistory(t, ctx, env, "after filing", secrets)

	run(t, ctx, "read the status",
		chromedp.Navigate(env.URL+"/nl/status"),
		chromedp.SendKeys(`#f-receipt`, receipt, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.thread`, chromedp.ByQuery),
	)
	secrets = append(secrets, ack)
	walkHistory(t, ctx, env, "after reading the status", secrets)

	var thread string
	run(t, ctx, "reply",
		chromedp.Navigate(env.URL+"/nl/status"),
		chromedp.SendKeys(`#f-receipt`, receipt, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-body`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-body`, reply, chromedp.ByQuery),
		chromedp.Submit(`#f-body`, chromedp.ByQuery),
		chromedp.WaitVisible(`.thread .you`, chromedp.ByQuery),
		chromedp.Text(`.thread`, &thread, chromedp.ByQuery),
	)
	if !strings.Contains(thread, reply) {
		t.Fatalf("her reply is not in the thread: %q", thread)
	}
	secrets = append(secrets, reply)
	walkHistory(t, ctx, env, "after replying", secrets)
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pageText is everything a person could see or the browser restored on the
// page: title, text, markup (hidden fields included) and the current values
// of the form fields.
const pageText = `(() => {
	const parts = [document.title, document.body ? document.body.innerText : '', document.documentElement.outerHTML];
	for (const el of document.querySelectorAll('input, textarea, select')) parts.push(el.value);
	return parts.join('\n');
})()`

// walkHistory goes back to the first entry and forward to the last,
// reloading each one, and checks every page and every title it meets.
func walkHistory(t *testing.T, ctx context.Context, env *servertest.Env, when string, secrets []string) {
	t.Helper()
	var cur int64
	var entries []*page.NavigationEntry
	history := chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cur, entries, err = page.GetNavigationHistory().Do(ctx)
		return err
	})
	run(t, ctx, when+": read the history", history)
	check := func(step string) {
		t.Helper()
		var txt, loc string
		if err := chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(pageText, &txt)); err != nil {
			t.Fatalf("%s, %s: read the page: %v", when, step, err)
		}
		for _, s := range secrets {
			if strings.Contains(txt, s) {
				t.Errorf("%s, %s: %s shows %q", when, step, loc, s)
			}
		}
	}
	last := len(entries) - 1
	if int(cur) != last {
		t.Fatalf("%s: the current entry is %d of %d", when, cur, last)
	}
	// go runs a history action and waits until another document than the
	// one left has loaded (a page may come back from the back/forward
	// cache, so no network answer is awaited).
	steps := 0
	goTo := func(a chromedp.Action, what string) {
		t.Helper()
		steps++
		_ = chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`window.__walk = %d`, steps), nil))
		if err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s, %s: %v", when, what, err)
		}
		arrived := fmt.Sprintf(`document.readyState === 'complete' && window.__walk !== %d`, steps)
		for range 100 {
			var ok bool
			if err := chromedp.Run(ctx, chromedp.Evaluate(arrived, &ok)); err == nil && ok {
				check(what)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s, %s: no page loaded", when, what)
	}
	visit := func(i int) {
		t.Helper()
		e := entries[i]
		goTo(page.NavigateToHistoryEntry(e.ID), "back/forward to "+e.URL)
		goTo(page.Reload(), "reload of "+e.URL)
	}
	for i := last - 1; i >= 0; i-- {
		visit(i)
	}
	for i := 1; i <= last; i++ {
		visit(i)
	}
	run(t, ctx, when+": read the history again", history)
	for _, e := range entries {
		if !strings.HasPrefix(e.URL, env.URL) {
			continue
		}
		if e.Title != "Gehoord" {
			t.Errorf("%s: history entry %s has title %q, want the neutral \"Gehoord\"", when, e.URL, e.Title)
		}
		for _, s := range secrets {
			if strings.Contains(e.URL, s) || strings.Contains(e.Title, s) {
				t.Errorf("%s: history entry %s %q holds %q", when, e.URL, e.Title, s)
			}
		}
	}
}
