package appui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cards"
)

func (b *browser) chooseLanguage(lang string) {
	b.t.Helper()
	b.js(fmt.Sprintf(`(() => { const s = document.querySelector('select[name=language]'); s.value = %q;
		s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, lang), nil)
	b.wait(fmt.Sprintf(`document.querySelector('#report') && document.querySelector('#report').lang === %q`, lang), 5*time.Second)
}

// TestAppWorkersDay walks a worker's round on the tablet: one draft per
// person (a new report starts clean; unfinished ones are listed, resumed
// or discarded); the form opens in the language chosen last in this round
// and shows the public form's reassurance in it; a card count with an
// unknown batch is rejected in the worker's language and stays in the
// queue while "correct and send again" is open, until the corrected count
// is saved; the card she handed over (a batch of the round) is recorded
// with her case; and the case is received at the time she told it on the
// tablet, not when the tablet found a network.
func TestAppWorkersDay(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	batch, err := be.env.Deps.Cards.Create(context.Background(), cards.NewBatch{Label: "Ronde Zandpad", Count: 20, Language: "nl", Variant: cards.VariantPlain}, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#new-report')", 20*time.Second)

	// The round, then the first person's report, left unfinished.
	b.click("#new-report")
	b.wait("document.querySelector('#round')", 5*time.Second)
	b.fill("#round [name=municipality]", "GM0344")
	b.fill("#round [name=place]", "Zandpad")
	b.submit("#round")
	b.wait("document.querySelector('#report')", 5*time.Second)
	b.fill("#report [name=description]", "persoon A vertelt")
	b.click("#back")
	b.wait("document.querySelectorAll('#drafts li').length === 1", 5*time.Second)

	// The next person: a clean form; she speaks Spanish.
	b.click("#new-report")
	b.wait("document.querySelector('#report')", 5*time.Second)
	var desc string
	b.js(`document.querySelector('#report [name=description]').value`, &desc)
	if desc != "" {
		t.Fatalf("a new report opened with %q", desc)
	}
	b.chooseLanguage("es")
	var reassure string
	b.js(`document.querySelector('#reassure').textContent`, &reassure)
	if want := be.env.Deps.Catalog.T("es", "form.no_police"); !strings.Contains(reassure, want) || !strings.Contains(want, "policía") {
		t.Fatalf("reassurance in her language: %q", reassure)
	}
	b.fill("#report [name=description]", "persona B cuenta")
	b.click("#back")
	b.wait("document.querySelectorAll('#drafts li').length === 2", 5*time.Second)
	b.axe("home with two drafts")

	// Resume A's: her words are there; discard it.
	b.click("#drafts li:first-child button.resume")
	b.wait("document.querySelector('#report')", 5*time.Second)
	b.js(`document.querySelector('#report [name=description]').value`, &desc)
	if desc != "persoon A vertelt" {
		t.Fatalf("resumed draft holds %q", desc)
	}
	b.click("#discard")
	b.wait("document.querySelectorAll('#drafts li').length === 1", 5*time.Second)

	// A card count with a batch the desk does not know: rejected, in the
	// worker's language; opening the correction keeps it queued.
	b.click("#cards")
	b.wait("document.querySelector('#cards-form')", 5*time.Second)
	b.fill("#cards-form [name=batch]", "NOPE-1")
	b.fill("#cards-form [name=count]", "5")
	b.submit("#cards-form")
	b.wait("document.querySelector('#rejected li')", 20*time.Second)
	var shown string
	b.js(`document.querySelector('#rejected').textContent`, &shown)
	if !strings.Contains(shown, "Deze partijcode kennen we niet") || strings.Contains(shown, "app.error") {
		t.Fatalf("rejection shown as %q", shown)
	}
	b.click("#rejected li button")
	b.wait("document.querySelector('#cards-form')", 5*time.Second)
	if n := b.queueLen(); n != 1 {
		t.Fatalf("opening the correction left %d items queued, want the rejected count", n)
	}
	b.click("#cards-form button.secondary") // back, not corrected
	b.wait("document.querySelector('#rejected li')", 5*time.Second)
	if n := b.queueLen(); n != 1 {
		t.Fatalf("going back from the correction left %d items", n)
	}
	b.click("#rejected li button")
	b.wait("document.querySelector('#cards-form')", 5*time.Second)
	b.fill("#cards-form [name=batch]", batch.ID)
	b.submit("#cards-form")
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	b.wait("!document.querySelector('#rejected')", 5*time.Second)

	// A new report opens in Spanish, the language chosen last this round.
	b.click("#new-report")
	b.wait("document.querySelector('#report')", 5*time.Second)
	var lang string
	b.js(`document.querySelector('#report').lang`, &lang)
	if lang != "es" {
		t.Fatalf("the next report opened in %q, want es", lang)
	}
	b.click("#report [name=kind][value=complaint]")
	b.click("#report [name=category][value=police]")
	b.fill("#report [name=description]", "persona B cuenta")
	b.click("#report [name=wish][value=heard]")
	b.click("#report input[name='identity.mode'][value=anonymous]")
	b.fill("#report [name=batch]", batch.ID)

	// Saved with no network; sent a while later.
	px.setDown(true)
	before := time.Now()
	b.submit("#report")
	b.wait("document.querySelector('#receipt')", 10*time.Second)
	b.wait("gehoord.store.waiting().then(n => n === 1)", 5*time.Second)
	after := time.Now()
	time.Sleep(1500 * time.Millisecond) // the gap the received time must not show
	px.setDown(false)
	sent := time.Now()
	b.js(`gehoord.sync.syncNow()`, nil)
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)

	var found bool
	for _, cs := range casesOnServer(t, be.env) {
		c := cs[0]
		if be.env.Deps.Cases.Field(&c, "description") != "persona B cuenta" {
			continue
		}
		found = true
		if c.Batch != batch.ID || c.Language != "es" {
			t.Fatalf("case batch %q language %q, want %s es", c.Batch, c.Language, batch.ID)
		}
		if c.CreatedAt.Before(before.Add(-time.Millisecond)) || c.CreatedAt.After(after) || !c.CreatedAt.Before(sent) {
			t.Fatalf("received at %v; told between %v and %v, sent at %v", c.CreatedAt, before, after, sent)
		}
	}
	if !found {
		t.Fatal("her report is not on the server")
	}
	// The round's history counts what was sent, not the content.
	b.click("#receipt-ok")
	b.click("#receipt-done")
	b.wait("document.querySelector('#round-sent')", 5*time.Second)
	b.wait("document.querySelector('#round-sent').textContent.includes('1 melding') && document.querySelector('#round-sent').textContent.includes('5 kaartjes')", 10*time.Second)
	b.axe("home after the round")
	// Reports by batch include hers; the header counts reports only.
	stats, err := be.env.Deps.Cards.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if st.Batch.ID == batch.ID && (st.Cases != 1 || st.HandedOut != 5) {
			t.Fatalf("batch %s: %d cases, %d handed out; want 1 and 5", batch.ID, st.Cases, st.HandedOut)
		}
	}
	var pill string
	b.js(`document.querySelector('#queue-pill').textContent`, &pill)
	if pill != "0 meldingen wachten" {
		t.Fatalf("header shows %q", pill)
	}
}
