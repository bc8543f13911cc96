package appui_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAppOfflineRoundTrip follows a tablet from its first sign-in through
// an offline round to the sync: the service worker serves the app with the
// network off, a case recorded offline survives closing the browser, the
// database on the tablet holds none of its text, the wrong passphrase
// opens nothing, and back online the case reaches the server exactly once.
// axe-core checks every screen on the way.
func TestAppOfflineRoundTrip(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	user, codes := outreachUser(t, be.env, "outreach")
	profile := t.TempDir()
	b := openBrowser(t, profile)

	// First use, online: sign in, register the tablet, choose the passphrase.
	b.run(chromedp.Navigate(px.URL + "/app/"))
	b.wait("document.querySelector('#signin')", 20*time.Second)
	b.axe("sign-in")
	b.fill("#signin [name=email]", user.Email)
	b.fill("#signin [name=password]", "correct horse battery staple")
	b.fill("#signin [name=code]", codes[0])
	b.fill("#signin [name=label]", "Tablet Utrecht 2")
	b.submit("#signin")
	b.wait("document.querySelector('#passphrase')", 20*time.Second)
	b.axe("passphrase")
	b.fill("#passphrase [name=p1]", Passphrase)
	b.fill("#passphrase [name=p2]", Passphrase)
	b.submit("#passphrase")
	b.wait("document.querySelector('#new-report')", 30*time.Second)
	b.axe("home")
	devs, err := be.env.Deps.Devices.List(context.Background())
	if err != nil || len(devs) != 1 || devs[0].UserID != user.ID || devs[0].Label != "Tablet Utrecht 2" {
		t.Fatalf("registered devices: %+v %v", devs, err)
	}

	// The service worker has the shell; the app now reloads with no network.
	b.wait("navigator.serviceWorker.controller && caches.keys().then(k => k.some(n => n.startsWith('gehoord-app-')))", 20*time.Second)
	px.setDown(true)
	b.offline(true)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.axe("unlock")

	// The wrong passphrase opens nothing.
	b.fill("#unlock [name=passphrase]", "not the passphrase")
	b.submit("#unlock")
	b.wait("document.querySelector('#unlock-error')", 20*time.Second)
	var locked bool
	b.js("!gehoord.vault.unlocked() && !document.querySelector('#new-report')", &locked)
	if !locked {
		t.Fatal("a wrong passphrase opened the app")
	}
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#new-report')", 20*time.Second)

	// An offline round: start it, record a case, see the receipt.
	b.click("#new-report")
	b.wait("document.querySelector('#round')", 5*time.Second)
	b.axe("round")
	// The municipality is a choice from the list the app precached.
	var roundList struct {
		Tag     string
		Options int
	}
	b.js(`(() => { const s = document.querySelector('#round [name=municipality]');
		return { tag: s.tagName, options: s.options.length } })()`, &roundList)
	if roundList.Tag != "SELECT" || roundList.Options != 344 {
		t.Fatalf("offline, the round's municipality is %+v, want a list of 342 municipalities and 2 answers", roundList)
	}
	b.fill("#round [name=municipality]", "GM0344") // Utrecht
	b.fill("#round [name=place]", "Zandpad")
	b.run(chromedp.SetValue("#round [name=setting]", "window", chromedp.ByQuery))
	b.submit("#round")
	b.wait("document.querySelector('#report')", 5*time.Second)
	b.axe("report form")
	// Offline, her report offers the same list in her language, the
	// round's municipality chosen; the visit names it, not its code.
	var list struct {
		Tag, Value, First, Visit string
		Options                  int
		Amsterdam                bool
	}
	b.js(`(() => { const s = document.querySelector('#report [name=municipality]');
		return { tag: s.tagName, value: s.value, options: s.options.length, first: s.options[0].value + '=' + s.options[0].text,
			amsterdam: [...s.options].some((o) => o.value === 'GM0363' && o.text === 'Amsterdam'),
			visit: document.querySelector('#report .visit').textContent } })()`, &list)
	if list.Tag != "SELECT" || list.Options != 344 || list.Value != "GM0344" || !list.Amsterdam ||
		!strings.HasPrefix(list.First, "unknown=") || strings.Contains(list.First, "form.") ||
		!strings.Contains(list.Visit, "Utrecht") || strings.Contains(list.Visit, "GM0344") {
		t.Fatalf("offline report form municipality: %+v", list)
	}
	// Saving an empty form shows the errors in her language.
	b.submit("#report")
	b.wait("document.querySelector('#report-errors')", 5*time.Second)
	b.axe("report form with errors")
	secret := fmt.Sprintf("Zwaailicht-%d bij het raam, zonder bon", time.Now().UnixNano())
	b.click("#report [name=kind][value=complaint]")
	b.click("#report [name=category][value=police]")
	b.fill("#report [name=description]", secret)
	b.click("#report [name=wish][value=heard]")
	b.click("#report input[name='identity.mode'][value=anonymous]")
	b.submit("#report")
	b.wait("document.querySelector('#receipt')", 10*time.Second)
	b.axe("receipt")
	var receipt string
	b.js("document.querySelector('#receipt').textContent", &receipt)
	if !regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`).MatchString(receipt) {
		t.Fatalf("receipt shown as %q", receipt)
	}
	digits := strings.ReplaceAll(receipt, " ", "")
	b.click("#receipt-done")
	var warned bool
	b.js("!document.querySelector('#receipt-msg').hidden", &warned)
	if !warned {
		t.Fatal("the receipt screen closed before the number was confirmed")
	}
	b.click("#receipt-ok")
	b.click("#receipt-done")
	b.wait("document.querySelector('#queue-waiting')", 5*time.Second)
	if n := b.queueLen(); n != 2 { // the round and the report
		t.Fatalf("queue holds %d items, want 2", n)
	}

	// Nothing readable on the tablet: every IndexedDB record, binary parts
	// included, searched for the description, the receipt and the place.
	var dump string
	b.js(`gehoord.db.settled().then(() => gehoord.db.dump()).then(d => JSON.stringify(d, (k, v) => {
		if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
			const u = new Uint8Array(v.buffer ? v.buffer : v);
			return 'bytes:' + Array.from(u, c => String.fromCharCode(c)).join('');
		}
		return v;
	}))`, &dump)
	for _, needle := range []string{secret, "Zwaailicht", digits, receipt, "Zandpad", "police"} {
		if strings.Contains(dump, needle) {
			t.Fatalf("IndexedDB holds %q in the clear", needle)
		}
	}
	if !strings.Contains(dump, `"kind":"report"`) {
		t.Fatalf("the dump does not look like the queue: %.300s", dump)
	}

	// Close the browser and open it again on the same profile, still offline.
	b.cancel()
	b = openBrowser(t, profile)
	b.offline(true)
	b.run(chromedp.Navigate(px.URL + "/app/"))
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#queue-waiting')", 20*time.Second)
	// Still two waiting; what she said is sealed for the desk, and the
	// list under the passphrase holds none of it.
	if n := b.queueLen(); n != 2 {
		t.Fatalf("after reopening the browser %d items wait, want 2", n)
	}
	var kept string
	b.js(`gehoord.store.items('report').then(l => JSON.stringify(l))`, &kept)
	if strings.Contains(kept, secret) || strings.Contains(kept, "description") || !strings.Contains(kept, `"language":"nl"`) {
		t.Fatalf("after reopening the browser the list holds %s", kept)
	}

	// Back online: it syncs and reaches the server exactly once.
	px.setDown(false)
	b.offline(false)
	b.click("#sync-now")
	b.wait("gehoord.store.waiting().then(n => n === 0)", 30*time.Second)
	b.click("#sync-now") // a second sync sends nothing more
	b.wait("!gehoord.sync.status.running", 10*time.Second)
	all := casesOnServer(t, be.env)
	if len(all) != 1 {
		t.Fatalf("server has %d cases, want 1", len(all))
	}
	for _, cs := range all {
		c := cs[0]
		if len(cs) != 1 || c.Channel != "outreach" || c.Device != devs[0].ID || c.Round == "" || c.Municipality != "GM0344" || c.Region != "Utrecht" || c.Setting != "window" || c.Reporter != "outreach" {
			t.Fatalf("case on server: %+v", c)
		}
		if got := be.env.Deps.Cases.Field(&c, "description"); got != secret {
			t.Fatalf("description on server %q", got)
		}
		if _, err := be.env.Deps.Cases.ByReceipt(context.Background(), digits); err != nil {
			t.Fatalf("the receipt shown on the tablet does not open the case: %v", err)
		}
	}
	b.axe("home after sync")
}
