package appui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/internal/browsertest"
)

// TestAppLeavesNothingInBrowserProfile: a lost tablet reveals nothing, the
// browser's own stores included. A worker registers the tablet, starts a
// round, types a report that the form sends back with errors and that she
// then discards (never saved as a case), records a case, locks and unlocks;
// every field is typed as by a person (trusted input events) and carries a
// marker of its own. Then the browser is closed, so Chromium writes its profile out, and
// every file of the profile is searched as raw bytes for each marker: the
// autofill database (Default/Web Data), the password store (Login Data),
// the session files, and the encrypted IndexedDB queue among them.
//
// Headless Chromium never saves a password (nobody answers its prompt), so
// its password manager's own log (chrome://password-manager-internals, open
// in a second tab) shows whether it would have offered to save the staff
// password or the passphrase: on a real tablet one tap would keep them.
//
// A control page with ordinary fields shows that the search finds what
// Chromium does store and that the log shows an offer to save.
func TestAppLeavesNothingInBrowserProfile(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	user, codes := outreachUser(t, be.env, "outreach")
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	m := map[string]string{
		"staff e-mail":       user.Email,
		"staff password":     "correct horse battery staple",
		"tablet name":        "Tablet Noordkade " + tag,
		"passphrase":         "lantaarn " + tag + " bij de brug",
		"round place":        "Zandpad bij nummer " + tag,
		"draft about":        "Club Paradijs eigenaar Jansen " + tag,
		"draft description":  "Concept nooit bewaard " + tag,
		"draft name":         "Conceptnaam " + tag,
		"draft contact":      "06-concept-" + tag,
		"report about":       "Bar Oase uitbater Pietersen " + tag,
		"report description": "Hij nam haar paspoort af " + tag,
		"report name":        "Werknaam Roosje " + tag,
		"report contact":     "06-" + tag + " via Signal",
		"control place":      "Controleplaats " + tag,
	}
	profile := t.TempDir()
	b := openBrowser(t, profile)
	pm := openPasswordLog(t, b)

	// Control: ordinary fields, typed and sent. Chromium keeps the place and
	// offers to save the password.
	ctl := browsertest.ControlPage(t)
	b.run(chromedp.Navigate(ctl))
	b.typeIn("#c", m["control place"])
	b.typeIn("#u", "control-"+tag)
	b.typeIn("#p", "control password "+tag)
	b.run(chromedp.Click("#f button", chromedp.ByQuery))
	b.wait("!document.querySelector('#done').hidden", 5*time.Second)
	pm.waitOffers(1)

	// Register the tablet and choose the passphrase.
	b.run(chromedp.Navigate(px.URL + "/app/"))
	b.wait("document.querySelector('#signin')", 20*time.Second)
	b.typeIn("#signin [name=email]", m["staff e-mail"])
	b.typeIn("#signin [name=password]", m["staff password"])
	b.typeIn("#signin [name=code]", codes[0])
	b.typeIn("#signin [name=label]", m["tablet name"])
	b.run(chromedp.Click("#signin button[type=submit]", chromedp.ByQuery))
	b.wait("document.querySelector('#passphrase')", 20*time.Second)
	b.typeIn("#passphrase [name=p1]", m["passphrase"])
	b.typeIn("#passphrase [name=p2]", m["passphrase"])
	b.run(chromedp.Click("#passphrase button[type=submit]", chromedp.ByQuery))
	b.wait("document.querySelector('#new-report')", 30*time.Second)

	// The round of the visit.
	b.click("#new-report")
	b.wait("document.querySelector('#round')", 5*time.Second)
	b.fill("#round [name=municipality]", "GM0599") // a choice from the list, nothing typed
	b.typeIn("#round [name=place]", m["round place"])
	b.run(chromedp.Click("#round button[type=submit]", chromedp.ByQuery))
	b.wait("document.querySelector('#report')", 5*time.Second)

	// A report typed, sent back by the form (no kind chosen), then
	// discarded: never saved as a case.
	b.typeIn("#report [name=description]", m["draft description"])
	b.typeIn("#report [name=about]", m["draft about"])
	b.click("#report input[name='identity.mode'][value=named]")
	b.typeIn("#report [name='identity.name']", m["draft name"])
	b.typeIn("#report [name='identity.contact']", m["draft contact"])
	b.run(chromedp.Click("#save-report", chromedp.ByQuery))
	b.wait("document.querySelector('#report-errors')", 5*time.Second)
	b.run(chromedp.Click("#discard", chromedp.ByQuery))
	b.wait("document.querySelector('#new-report')", 5*time.Second)

	// A case with every field typed.
	b.click("#new-report")
	b.wait("document.querySelector('#report')", 5*time.Second)
	b.click("#report [name=kind][value=complaint]")
	b.click("#report [name=category][value=police]")
	b.typeIn("#report [name=description]", m["report description"])
	b.typeIn("#report [name=about]", m["report about"])
	b.click("#report [name=wish][value=heard]")
	b.click("#report input[name='identity.mode'][value=named]")
	b.typeIn("#report [name='identity.name']", m["report name"])
	b.typeIn("#report [name='identity.contact']", m["report contact"])
	b.run(chromedp.Click("#save-report", chromedp.ByQuery))
	b.wait("document.querySelector('#receipt')", 10*time.Second)
	var receipt string
	b.js("document.querySelector('#receipt').textContent", &receipt)
	m["receipt"] = strings.ReplaceAll(receipt, " ", "")
	b.click("#receipt-ok")
	b.click("#receipt-done")
	b.wait("document.querySelector('#queue-waiting')", 5*time.Second)

	// Lock and unlock with the passphrase typed again.
	b.click("#lock")
	b.wait("document.querySelector('#unlock')", 10*time.Second)
	b.typeIn("#unlock [name=passphrase]", m["passphrase"])
	b.run(chromedp.Click("#unlock button[type=submit]", chromedp.ByQuery))
	b.wait("document.querySelector('#new-report')", 20*time.Second)

	// Online, the case reaches the desk as typed.
	b.wait("gehoord.store.waiting().then(n => n === 0) && !gehoord.sync.status.running", 30*time.Second)
	all := casesOnServer(t, be.env)
	if len(all) != 1 {
		t.Fatalf("server has %d cases, want 1", len(all))
	}
	for _, cs := range all {
		if got := be.env.Deps.Cases.Field(&cs[0], "about"); got != m["report about"] {
			t.Fatalf("about on server %q", got)
		}
	}

	// Leaving the app settles whatever the password manager still had
	// pending for it; a second control offer, logged after, is the barrier.
	b.run(chromedp.Navigate(browsertest.ControlPage(t)))
	b.typeIn("#u", "control-2-"+tag)
	b.typeIn("#p", "control password 2 "+tag)
	b.run(chromedp.Click("#f button", chromedp.ByQuery))
	b.wait("!document.querySelector('#done').hidden", 5*time.Second)
	if offers := pm.waitOffers(2); len(offers) != 2 {
		t.Errorf("Chromium offered to save a password typed into the app (staff password or passphrase) %d times: %q",
			len(offers)-2, offers)
	}

	b.cancel()
	hits := browsertest.FindInProfile(t, profile, m)
	control := false
	var leaks []string
	for _, h := range hits {
		if strings.HasPrefix(h, "control place in Default/Web Data") {
			control = true
		}
		if !strings.HasPrefix(h, "control ") {
			leaks = append(leaks, h)
		}
	}
	if !control {
		t.Errorf("the control value typed into an ordinary input is not in Default/Web Data: the search cannot see what Chromium stores (found: %v)", hits)
	}
	if len(leaks) > 0 {
		t.Errorf("the browser profile holds what was typed into the app:\n  %s", strings.Join(leaks, "\n  "))
	}
}

// typeIn focuses a field and enters text as a keyboard's input method
// does (a trusted input event), so Chromium takes it as typed by a person:
// its autofill keeps only what a person typed. One event per field, not per
// key: the password manager's log grows by a form dump per event.
func (b *browser) typeIn(sel, text string) {
	b.t.Helper()
	b.run(chromedp.Focus(sel, chromedp.ByQuery), input.InsertText(text))
}

// passwordLog is Chromium's password manager log, open in a tab of its own
// for as long as the browser runs (it logs only while open).
type passwordLog struct {
	t   *testing.T
	ctx context.Context
}

func openPasswordLog(t *testing.T, b *browser) *passwordLog {
	t.Helper()
	var id target.ID
	b.run(chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		id, err = target.CreateTarget("chrome://password-manager-internals").Do(ctx)
		return err
	}))
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("open the password manager's log: %v", err)
	}
	return &passwordLog{t: t, ctx: ctx}
}

// offers returns the log's decisions to offer to save (ASK) or to save at
// once (SAVE) a password, in order.
func (p *passwordLog) offers() []string {
	p.t.Helper()
	// textContent of the entries needed only: laying out the whole log
	// (a form dump per input event) takes seconds.
	var out []string
	err := chromedp.Run(p.ctx, chromedp.Evaluate(`[...document.querySelectorAll('.preserve-white-space')]
		.map(e => e.textContent.trim()).filter(t => /Decision: (ASK|SAVE)/.test(t))`, &out))
	if err != nil {
		p.t.Fatalf("read the password manager's log: %v", err)
	}
	return out
}

// waitOffers polls the log until it holds at least n offers.
func (p *passwordLog) waitOffers(n int) []string {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := p.offers()
		if len(o) >= n {
			return o
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the password manager's log shows %d offers to save, want %d: %v", len(o), n, o)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
