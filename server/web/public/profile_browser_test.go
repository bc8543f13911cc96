package public_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestPublicFormLeavesNothingInBrowserProfile: on a shared phone the
// browser keeps nothing she typed. She fills the intake form (sent back
// once with an error, then sent), opens her case with the receipt and
// replies; every field is typed as by a person and carries a marker. With
// the browser closed, every file of its profile (autofill database,
// session files, caches) is searched as raw bytes for each marker. A
// control page with an ordinary input shows that the search finds what
// Chromium does store.
//
// Chromium's session files keep, to restore the tab, the body of every
// form POST in the tab's history whose answer was a page; after a redirect
// (303) to a GET they keep none.
func TestPublicFormLeavesNothingInBrowserProfile(t *testing.T) {
	env := servertest.Start(t)
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	m := map[string]string{
		"description":   "Hij hield mijn paspoort " + tag,
		"about":         "Club Paradijs eigenaar Jansen " + tag,
		"name":          "Werknaam Lila " + tag,
		"contact":       "lila-" + tag + "@mail.test",
		"reply":         "Ik durf niet terug " + tag,
		"control place": "Controleplaats " + tag,
	}
	profile := t.TempDir()
	ctx, closeBrowser := browsertest.NewInProfile(t, profile)
	run := func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	typeIn := func(sel, text string) chromedp.Action {
		return chromedp.Tasks{chromedp.Focus(sel, chromedp.ByQuery), input.InsertText(text)}
	}
	// send clicks a form's button and waits for the next page.
	send := func(button string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if err := chromedp.Evaluate(`window.__before = true`, nil).Do(ctx); err != nil {
				return err
			}
			if err := chromedp.Click(button, chromedp.ByQuery).Do(ctx); err != nil {
				return err
			}
			// The page being replaced fails an evaluation now and then:
			// ask again until the new one answers.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var loaded bool
				err := chromedp.Evaluate(`!window.__before && document.readyState === 'complete'`, &loaded).Do(ctx)
				if err == nil && loaded {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("no new page after clicking %s (%v)", button, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}

	run(chromedp.Navigate(browsertest.ControlPage(t)),
		typeIn("#c", m["control place"]),
		chromedp.Click("#f button", chromedp.ByQuery),
		chromedp.WaitVisible("#done", chromedp.ByQuery))

	run(chromedp.Navigate(env.URL+"/nl/report"),
		typeIn("#f-description", m["description"]),
		typeIn("#f-about", m["about"]),
		chromedp.SetValue("#f-municipality", "GM0344", chromedp.ByQuery), // a choice now, nothing typed
		chromedp.Click(`input[name=identity_mode][value=work_name]`, chromedp.ByQuery),
		typeIn("#f-name", m["name"]),
		typeIn("#f-contact", m["contact"]),
		send(`main button[type=submit]`), // no kind chosen: sent back
		chromedp.WaitVisible(`.error-summary`, chromedp.ByQuery),
		chromedp.Click(`input[name=kind][value=complaint]`, chromedp.ByQuery),
		chromedp.Click(`input[name=category][value=police]`, chromedp.ByQuery),
		chromedp.Click(`input[name=wish][value=advice]`, chromedp.ByQuery),
		send(`main button[type=submit]`))
	var receipt string
	run(chromedp.Text(`#receipt`, &receipt, chromedp.ByQuery))
	digits := strings.ReplaceAll(receipt, " ", "")
	m["receipt"] = digits
	run(chromedp.Navigate(env.URL+"/nl/status"),
		typeIn("#f-receipt", receipt),
		send(`main button[type=submit]`),
		typeIn("#f-body", m["reply"]),
		send(`main form[action$="/status/reply"] button[type=submit]`))

	// What she sent reached the desk.
	c, err := env.Deps.Cases.ByReceipt(context.Background(), digits)
	if err != nil {
		t.Fatalf("the receipt %q opens no case: %v", receipt, err)
	}
	if got := env.Deps.Cases.Field(c, "about"); got != m["about"] {
		t.Fatalf("about on the server: %q", got)
	}
	msgs, err := env.Deps.Cases.Messages(context.Background(), c.ID)
	if err != nil || len(msgs) == 0 || msgs[len(msgs)-1].Body != m["reply"] {
		t.Fatalf("thread on the server: %+v %v", msgs, err)
	}

	closeBrowser()
	control := false
	var leaks []string
	for _, h := range browsertest.FindInProfile(t, profile, m) {
		if strings.HasPrefix(h, "control place in Default/Web Data") {
			control = true
		}
		if !strings.HasPrefix(h, "control ") {
			leaks = append(leaks, h)
		}
	}
	if !control {
		t.Error("the control value typed into an ordinary input is not in Default/Web Data: the search cannot see what Chromium stores")
	}
	if len(leaks) > 0 {
		t.Errorf("the browser profile holds what she typed:\n  %s", strings.Join(leaks, "\n  "))
	}
}
