package appui_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cards"
)

// TestAppSyncServerStopsMidway: the field scenario with sealed items. A
// round, 140 reports and 9 card counts, each sealed to the desk when
// saved; the server dies between two batches, after taking a batch whose
// answer never reaches the tablet. When it is back, the service worker
// sends the rest (Background Sync): every case is on the server exactly
// once, the cards are counted once, and nothing waits on the tablet.
func TestAppSyncServerStopsMidway(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	batch, err := be.env.Deps.Cards.Create(context.Background(), cards.NewBatch{Label: "Veldronde", Count: 50, Language: "nl", Variant: cards.VariantPlain}, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	b.wait("navigator.serviceWorker.ready.then(r => !!r.active)", 20*time.Second)

	const reports, counts = 140, 9 // two batches: 100 (the round first), then 50
	const n = 1 + reports + counts
	b.js(fmt.Sprintf(`(async () => {
		const round = { id: gehoord.ids.uuid(), date: '2026-12-01', setting: 'window', municipality: 'GM0344', place: 'Zandpad', language: 'nl' };
		await gehoord.store.enqueue('round', round);
		for (let i = 0; i < %d; i++) await gehoord.store.enqueue('report', Object.assign(%s, { round: round.id }));
		for (let i = 0; i < %d; i++) await gehoord.store.enqueue('cards', { id: gehoord.ids.uuid(), round: round.id, batch: %q,
			setting: 'window', municipality: 'GM0344', date: '2026-12-01', count: 2, language: 'nl' });
		return true })()`, reports, reportJS("case from the round"), counts, batch.ID), nil)
	if got := b.queueLen(); got != n {
		t.Fatalf("queued %d", got)
	}
	stopped := make(chan struct{})
	px.mu.Lock()
	// The second batch: stored, answer lost. From then on the network is
	// dead too (onSync runs under the proxy's lock): Chromium retries a
	// request whose reused connection closed without an answer, and that
	// retry must not reach the server before it has stopped.
	px.onSync = func(k int) bool {
		if k == 2 {
			px.down = true
		}
		return k == 2
	}
	px.afterDrop = func() { be.stop(); close(stopped) }
	px.mu.Unlock()

	var res map[string]any
	b.js(`gehoord.sync.syncNow()`, &res)
	<-stopped
	if res["error"] == nil {
		t.Fatalf("sync with the server gone answered %v", res)
	}
	left := b.queueLen()
	if left != n-100 {
		t.Fatalf("after the first batch %d items wait, want %d", left, n-100)
	}
	// The server is down: a retry fails and keeps everything.
	res = nil
	b.js(`gehoord.sync.syncNow()`, &res)
	if res["error"] == nil || b.queueLen() != left {
		t.Fatalf("sync with the server down: %v, %d left", res, b.queueLen())
	}

	be.restart()
	px.mu.Lock()
	px.onSync = nil
	px.down = false
	px.mu.Unlock()
	// The worker's Background Sync sends the rest, which the server partly
	// has already: those come back as duplicates.
	// (The page's own retry is cancelled, so the worker is the one sending.)
	b.js(`gehoord.vault.lock().then(() => { gehoord.sync.stop(); return true })`, nil)
	dispatchSync(t, b, px.URL)
	b.wait("gehoord.store.waiting().then(n => n === 0)", 30*time.Second)
	all := casesOnServer(t, be.env)
	if len(all) != reports {
		t.Fatalf("server has %d client ids, want %d", len(all), reports)
	}
	for id, cs := range all {
		if len(cs) != 1 {
			t.Fatalf("case %s is on the server %d times", id, len(cs))
		}
	}
	stats, err := be.env.Deps.Cards.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if st.Batch.ID == batch.ID && st.HandedOut != 2*counts {
			t.Fatalf("cards handed out counted %d, want %d", st.HandedOut, 2*counts)
		}
	}
}

// TestAppBadItemStaysOnTablet: one bad item in a batch of 100 is rejected
// and stays, with its error, while the 99 others are sent; fixed, it goes.
func TestAppBadItemStaysOnTablet(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	// The browser may close the database connection at any time: the next
	// write reopens it.
	b.js(`gehoord.db.closeForTest().then(() => true)`, nil)
	b.js(fmt.Sprintf(`(async () => {
		for (let i = 0; i < 100; i++) {
			const r = %s;
			if (i === 42) { r.category = 'no.such.thing'; r.language = 'nl'; window.badId = r.id; }
			await gehoord.store.enqueue('report', r);
		}
		return true })()`, reportJS("one of a hundred")), nil)
	var res map[string]any
	b.js(`gehoord.sync.syncNow()`, &res)
	var left []struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Errors []struct{ Field, Detail, Staff string }
	}
	b.js(`gehoord.store.queue().then(l => l.filter(i => i.state !== 'sent' && i.kind === 'report'))`, &left)
	var bad string
	b.js(`window.badId`, &bad)
	if len(left) != 1 || left[0].ID != bad || left[0].State != "rejected" || len(left[0].Errors) != 1 ||
		left[0].Errors[0].Field != "category" || left[0].Errors[0].Detail != "Kies een van de onderwerpen." ||
		left[0].Errors[0].Staff != "Kies een van de onderwerpen." {
		t.Fatalf("left on the tablet: %+v (sync %v)", left, res)
	}
	if got := len(casesOnServer(t, be.env)); got != 99 {
		t.Fatalf("server has %d cases, want 99", got)
	}
	// Another sync does not resend the rejected item or drop it.
	b.js(`gehoord.sync.syncNow()`, &res)
	if b.queueLen() != 1 {
		t.Fatal("the rejected item was dropped")
	}
	// The worker sees it on the home screen and records it again with her
	// (its content was sealed for the desk); the rejected one stays until
	// the corrected one is saved.
	b.js(`(async () => { await gehoord.vault.lock(); return true })()`, nil)
	b.wait("document.querySelector('#unlock')", 5*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#rejected li button')", 20*time.Second)
	b.axe("home with a rejected item")
	b.click("#rejected li button")
	b.wait("document.querySelector('#fix-note')", 5*time.Second)
	b.axe("fixing a rejected report")
	if b.queueLen() != 1 {
		t.Fatal("opening the correction dropped the rejected item")
	}
	b.click("#report [name=kind][value=complaint]")
	b.click("#report [name=category][value=police]")
	b.fill("#report [name=description]", "one of a hundred, again")
	b.click("#report [name=wish][value=heard]")
	b.click("#report input[name='identity.mode'][value=anonymous]")
	fixedAt := time.Now()
	b.submit("#report")
	b.wait("document.querySelector('#receipt')", 10*time.Second)
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	all := casesOnServer(t, be.env)
	if got := len(all); got != 100 {
		t.Fatalf("server has %d cases after the fix, want 100", got)
	}
	// The corrected report was told when the first one was saved.
	found := false
	for _, cs := range all {
		if be.env.Deps.Cases.Field(&cs[0], "description") != "one of a hundred, again" {
			continue
		}
		found = true
		if !cs[0].CreatedAt.Before(fixedAt) {
			t.Fatalf("the corrected report is received at %v, after the correction (%v), not when she told it", cs[0].CreatedAt, fixedAt)
		}
	}
	if !found {
		t.Fatal("the corrected report is not on the server")
	}
}

// TestAppRevokedDeviceKeepsQueue: a revoked tablet gets 401, keeps every
// queued item, says so, and sends them after a new sign-in.
func TestAppRevokedDeviceKeepsQueue(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	user, codes := outreachUser(t, be.env, "outreach")
	b := openBrowser(t, t.TempDir())
	dev := setupTablet(t, b, be.env, px.URL)
	if err := be.env.Deps.Devices.Revoke(context.Background(), dev, "admin"); err != nil {
		t.Fatal(err)
	}
	b.js(fmt.Sprintf(`(async () => { for (let i = 0; i < 3; i++) await gehoord.store.enqueue('report', %s); return true })()`, reportJS("kept")), nil)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#unauthorized')", 20*time.Second)
	b.axe("revoked")
	if n := b.queueLen(); n != 3 {
		t.Fatalf("a revoked tablet holds %d items, want 3", n)
	}
	if got := len(casesOnServer(t, be.env)); got != 0 {
		t.Fatalf("a revoked tablet sent %d cases", got)
	}
	b.click("#unauthorized button")
	b.wait("document.querySelector('#signin')", 5*time.Second)
	b.fill("#signin [name=email]", user.Email)
	b.fill("#signin [name=password]", "correct horse battery staple")
	b.fill("#signin [name=code]", codes[1])
	b.submit("#signin")
	b.wait("gehoord.store.waiting().then(n => n === 0)", 30*time.Second)
	if got := len(casesOnServer(t, be.env)); got != 3 {
		t.Fatalf("server has %d cases after the new sign-in, want 3", got)
	}
	b.wait("!document.querySelector('#unauthorized')", 5*time.Second)
}

// TestAppBackgroundSync: the service worker's sync event wakes the page,
// which sends the queue.
func TestAppBackgroundSync(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#new-report') && navigator.serviceWorker.controller", 20*time.Second)
	px.setDown(true)
	b.js(fmt.Sprintf(`gehoord.store.enqueue('report', %s).then(() => true)`, reportJS("woken")), nil)
	px.setDown(false)
	if n := b.queueLen(); n != 1 {
		t.Fatalf("before the sync event %d items wait", n)
	}
	dispatchSync(t, b, px.URL)
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	if got := len(casesOnServer(t, be.env)); got != 1 {
		t.Fatalf("server has %d cases", got)
	}
}

// TestAppSaveTiming saves 50 cases offline, checks every one is queued,
// and reports how long a save to the encrypted IndexedDB takes (run with
// -v; the timing is reported for the README, never asserted).
func TestAppSaveTiming(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	px.setDown(true) // offline: nothing leaves the tablet while we time
	var ms []float64
	b.js(fmt.Sprintf(`(async () => {
		const out = [];
		for (let i = 0; i < 50; i++) {
			const r = gehoord.normalize(%s);
			const t0 = performance.now();
			await gehoord.store.enqueue('report', r);
			await gehoord.store.setMeta('drafts', null);
			out.push(performance.now() - t0);
		}
		return out })()`, reportJS("timing: a case of ordinary length, a few sentences about what happened at the window last night.")), &ms)
	if len(ms) != 50 {
		t.Fatalf("%d saves timed, want 50", len(ms))
	}
	if n := b.queueLen(); n != 50 {
		t.Fatalf("the queue holds %d cases after 50 saves", n)
	}
	sort.Float64s(ms)
	t.Logf("save a case offline to encrypted IndexedDB: median %.1f ms, p90 %.1f ms, max %.1f ms (n=%d)",
		ms[len(ms)/2], ms[len(ms)*9/10], ms[len(ms)-1], len(ms))
}

// TestAppUpdateKeepsData: a new app version installs a complete new cache
// beside the old one, waits, and on "Update now" replaces it; the queue in
// IndexedDB is untouched and the new version works offline.
func TestAppUpdateKeepsData(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	px.mu.Lock()
	px.blockSync = true // the queue must still be there after the update
	px.mu.Unlock()
	b.js(fmt.Sprintf(`(async () => { for (let i = 0; i < 2; i++) await gehoord.store.enqueue('report', %s); return true })()`, reportJS("kept over the update")), nil)
	b.wait("navigator.serviceWorker.controller", 20*time.Second)
	var caches1 []string
	b.js("caches.keys()", &caches1)

	px.mu.Lock()
	px.swSuffix = "-next"
	px.mu.Unlock()
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	// Reloading checks for an update; make sure it is looked for now.
	b.js("navigator.serviceWorker.getRegistration('/app/').then(r => r.update()).then(() => true)", nil)
	b.wait("navigator.serviceWorker.getRegistration('/app/').then(r => !!r.waiting)", 20*time.Second)
	var caches2 []string
	b.js("caches.keys()", &caches2)
	if len(caches1) != 1 || len(caches2) != 2 {
		t.Fatalf("caches before %v, while the update waits %v", caches1, caches2)
	}
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#update button')", 20*time.Second)
	if n := b.queueLen(); n != 2 {
		t.Fatalf("before the update the queue holds %d, want 2", n)
	}
	b.click("#update button")
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.wait("caches.keys().then(k => k.length === 1 && k[0].endsWith('-next'))", 20*time.Second)
	b.offline(true)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#queue-waiting')", 20*time.Second)
	if n := b.queueLen(); n != 2 {
		t.Fatalf("after the update the queue holds %d, want 2", n)
	}
}
