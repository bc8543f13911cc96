package appui_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// newTab opens another tab in the same browser; cancelling it closes the
// tab only.
func newTab(t *testing.T, b *browser) (*browser, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Run(ctx, addHooks()); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	return &browser{t: t, ctx: ctx, cancel: func() {}}, cancel
}

// tabletDump is every IndexedDB record, binary parts as raw characters.
const tabletDump = `gehoord.db.settled().then(() => gehoord.db.dump()).then(d => JSON.stringify(d, (k, v) => {
	if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
		const u = new Uint8Array(v.buffer ? v.buffer : v);
		return 'bytes:' + Array.from(u, c => String.fromCharCode(c)).join('');
	}
	return v;
}))`

// withPassphrase is what a thief who also has the passphrase reads: every
// vault record opened, and every plain record.
const withPassphrase = `(async () => {
	const d = await gehoord.db.dump();
	const out = [];
	for (const r of d.items) out.push(await gehoord.vault.open(r, 'item:' + r.kind + ':' + r.id));
	for (const r of d.meta) out.push(r.ct && r.id !== 'vault' ? await gehoord.vault.open(r, 'meta:' + r.id) : r);
	for (const r of d.outbox) out.push(r);
	return JSON.stringify(out);
})()`

// TestAppSealedSentWithAppClosed: reports saved on the tablet are sealed
// to the desk at once: IndexedDB holds nothing readable, the passphrase
// opens none of their content (only time, language, receipt), and only the
// desk's private key opens them. With the app's tab closed, the service
// worker's Background Sync event (fired through DevTools:
// ServiceWorker.dispatchSyncEvent, as headless Chromium has no network
// change to wait for) sends them, without the passphrase; a failed
// wake-up does not count against the page's backoff. After sending, the
// tablet keeps nothing of the cases (and after the keep time, not even
// their list entries).
func TestAppSealedSentWithAppClosed(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir()) // this first tab stays on about:blank
	app, closeApp := newTab(t, b)
	devID := setupTablet(t, app, be.env, px.URL)
	app.wait("navigator.serviceWorker.ready.then(r => !!r.active)", 20*time.Second)
	app.run(chromedp.Reload())
	app.wait("document.querySelector('#unlock')", 20*time.Second)
	app.fill("#unlock [name=passphrase]", Passphrase)
	app.submit("#unlock")
	app.wait("document.querySelector('#new-report') && navigator.serviceWorker.controller", 20*time.Second)

	// Offline round: three reports, each receipt handed over.
	px.setDown(true)
	secrets := []string{}
	for i := 0; i < 3; i++ {
		s := fmt.Sprintf("Verzegeld-%d-%d achter het raam", i, time.Now().UnixNano())
		secrets = append(secrets, s)
		app.js(fmt.Sprintf(`(async () => { const r = %s; await gehoord.store.enqueue('report', r);
			await gehoord.store.handedOver(r.id); return true })()`, reportJS(s)), nil)
	}
	if n := app.queueLen(); n != 3 {
		t.Fatalf("queued %d", n)
	}

	var dump string
	app.js(tabletDump, &dump)
	for _, s := range secrets {
		if strings.Contains(dump, s) || strings.Contains(dump, "Verzegeld") || strings.Contains(dump, "police") {
			t.Fatalf("IndexedDB holds a report in the clear: %.200s", dump)
		}
	}
	var stolen string
	app.js(withPassphrase, &stolen)
	if strings.Contains(stolen, "Verzegeld") || strings.Contains(stolen, "police") || strings.Contains(stolen, "receipt") {
		t.Fatalf("the passphrase opens a report's content: %.400s", stolen)
	}

	// Only the desk's private key opens the outbox.
	var recs []outreach.SealedItem
	app.js(`gehoord.outbox.all()`, &recs)
	if len(recs) != 3 {
		t.Fatalf("outbox holds %d items", len(recs))
	}
	raw := func(s string) []byte { b, _ := base64.RawURLEncoding.DecodeString(s); return b }
	other, _ := seal.New([]byte(strings.Repeat("x", 32)))
	for _, r := range recs {
		aad := outreach.SealedAAD(r.Kid, devID, r.Kind, r.ID)
		if _, err := other.Desk().Open(r.Kid, raw(r.EPK), raw(r.IV), raw(r.CT), aad); err == nil {
			t.Fatal("another desk's key opened a sealed item")
		}
		plain, err := be.env.Deps.Sealer.Desk().Open(r.Kid, raw(r.EPK), raw(r.IV), raw(r.CT), aad)
		if err != nil || !strings.Contains(string(plain), "Verzegeld") {
			t.Fatalf("the desk cannot open the sealed item: %v %.80q", err, plain)
		}
	}

	// A Background Sync wake-up while the server is down fails, and the
	// page's backoff does not count it. The page's own tries (its saves
	// above started some, which failed on the dead network) are stopped and
	// their count cleared first, so only the wake-up could count.
	app.js(`(async () => { gehoord.sync.stop(); while (gehoord.sync.status.running) await new Promise(r => setTimeout(r, 20));
		gehoord.sync.stop(); gehoord.sync.status.failures = 0; return true })()`, nil)
	app.js(`(() => { window.__fromWorker = new Promise(r => navigator.serviceWorker.addEventListener('message', e => r(e.data), {once: true})); return true })()`, nil)
	dispatchSync(t, b, px.URL)
	app.js(`window.__fromWorker.then(() => true)`, nil)
	var failures int
	app.js(`gehoord.sync.status.failures`, &failures)
	if failures != 0 {
		t.Fatalf("a worker wake-up counted as %d backoff failures", failures)
	}
	// However long the tablet was offline, the page's next try is at most
	// 30 s away: back on a working network it sends within a minute.
	var next float64
	app.js(`(async () => { gehoord.sync.status.failures = 40; await gehoord.sync.syncNow();
		const d = gehoord.sync.status.nextTry - Date.now(); gehoord.sync.stop(); gehoord.sync.status.failures = 0; return d })()`, &next)
	if next <= 0 || next > 30000 {
		t.Fatalf("after many failures the next try is %.0f ms away", next)
	}

	// The app is closed; the network is back; the worker sends on its own.
	app.js(`gehoord.vault.lock().then(() => true)`, nil)
	closeApp()
	px.setDown(false)
	dispatchSync(t, b, px.URL)
	deadline := time.Now().Add(20 * time.Second)
	for len(casesOnServer(t, be.env)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("with the app closed the worker sent %d of 3 reports", len(casesOnServer(t, be.env)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := map[string]bool{}
	for _, cs := range casesOnServer(t, be.env) {
		if len(cs) != 1 || cs[0].Device != devID {
			t.Fatalf("case on the server: %d copies, device %q", len(cs), cs[0].Device)
		}
		got[be.env.Deps.Cases.Field(&cs[0], "description")] = true
	}
	for _, s := range secrets {
		if !got[s] {
			t.Fatalf("report %q did not arrive intact", s)
		}
	}

	// Opened again: nothing waits, the round's history counts them, and
	// nothing of the sent cases is readable, even with the passphrase.
	app2, _ := newTab(t, b)
	app2.run(chromedp.Navigate(px.URL + "/app/"))
	app2.wait("document.querySelector('#unlock')", 20*time.Second)
	app2.fill("#unlock [name=passphrase]", Passphrase)
	app2.submit("#unlock")
	app2.wait("document.querySelector('#queue-waiting')", 20*time.Second)
	if n := app2.queueLen(); n != 0 {
		t.Fatalf("%d items still wait", n)
	}
	app2.js(withPassphrase, &stolen)
	if strings.Contains(stolen, "Verzegeld") || strings.Contains(stolen, `"ct"`) {
		t.Fatalf("a sent case is still on the tablet: %.400s", stolen)
	}
	// The history is counted when the unlocked page tidies up (at unlock
	// and after each send); the worker may still be marking its sends when
	// the page unlocks, so tidy up until they are counted.
	app2.wait(`gehoord.store.reconcile().then(() => gehoord.store.getMeta('history')).then(h => !!h && !!h[''] && h[''].reports >= 3)`, 20*time.Second)
	var hist map[string]struct{ Reports int }
	app2.js(`gehoord.store.getMeta('history')`, &hist)
	if hist[""].Reports != 3 {
		t.Fatalf("sent history %+v, want 3 reports", hist)
	}
	// After the keep time the list entries of sent reports go too.
	var left int
	app2.js(`gehoord.store.reconcile(0).then(() => gehoord.store.items('report')).then(l => l.length)`, &left)
	if left != 0 {
		t.Fatalf("%d sent reports still listed after the keep time", left)
	}
}

// TestAppSealsWhenDeskKeyArrives: a tablet registered before sealing has
// no desk key. A report saved offline waits under the passphrase; when the
// tablet is online it fetches the key, seals the report, drops the
// plaintext and sends it.
func TestAppSealsWhenDeskKeyArrives(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	devID := setupTablet(t, b, be.env, px.URL)
	b.js(`gehoord.outbox.sender().then(s => gehoord.outbox.setSender({ ...s, desk: null })).then(() => true)`, nil)
	px.setDown(true)
	b.js(fmt.Sprintf(`gehoord.store.enqueue('report', %s).then(() => true)`, reportJS("bewaard tot de sleutel er is")), nil)
	var waitingBody bool
	b.js(`gehoord.store.items('report').then(l => l.length === 1 && !!l[0].body)`, &waitingBody)
	if !waitingBody {
		t.Fatal("without the desk key the report was not kept to be sealed later")
	}
	px.setDown(false)
	var res map[string]any
	b.js(`gehoord.sync.syncNow()`, &res)
	if res["error"] != nil {
		t.Fatalf("sync: %v", res)
	}
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	var stolen string
	b.js(withPassphrase, &stolen)
	if strings.Contains(stolen, "bewaard tot de sleutel") {
		t.Fatalf("the report's text is still on the tablet: %.300s", stolen)
	}
	cs := casesOnServer(t, be.env)
	if len(cs) != 1 {
		t.Fatalf("server has %d cases", len(cs))
	}
	for _, c := range cs {
		if c[0].Device != devID || be.env.Deps.Cases.Field(&c[0], "description") != "bewaard tot de sleutel er is" {
			t.Fatalf("case %+v", c[0])
		}
	}
}

// After the desk's key was rotated, a tablet that still seals to the old
// desk key has its items opened (the old key is still in the ring) and
// learns the new key from the sync's answer, so what it seals next no
// longer depends on the old key.
func TestAppLearnsTheRotatedDeskKey(t *testing.T) {
	old, cur := servertest.NewKey(), servertest.NewKey()
	be := &backend{t: t, dbName: storetest.DBName(), key: cur + ";old " + old}
	be.env = servertest.StartWith(t, servertest.Options{DBName: be.dbName, SecretKey: be.key})
	be.addr = be.env.Addr
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)

	ring, err := seal.ParseRing(old)
	if err != nil {
		t.Fatal(err)
	}
	oldSealer, err := seal.NewRing(ring)
	if err != nil {
		t.Fatal(err)
	}
	oldKid, oldKey := oldSealer.Desk().PublicKey()
	curKid, _ := be.env.Deps.Sealer.Desk().PublicKey()
	if oldKid == curKid {
		t.Fatal("the two keys have one desk key id")
	}
	b.js(fmt.Sprintf(`gehoord.outbox.sender().then(s => gehoord.outbox.setSender({ ...s, desk: { kid: %q, key: %q } })).then(() => true)`,
		oldKid, base64.RawURLEncoding.EncodeToString(oldKey)), nil)

	for i, text := range []string{"verzegeld met de oude sleutel", "verzegeld met de nieuwe sleutel"} {
		b.js(fmt.Sprintf(`gehoord.store.enqueue('report', %s).then(() => true)`, reportJS(text)), nil)
		var res map[string]any
		b.js(`gehoord.sync.syncNow()`, &res)
		if res["error"] != nil {
			t.Fatalf("sync %d: %v", i+1, res)
		}
		b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	}
	var kid string
	b.js(`gehoord.outbox.sender().then(s => s.desk ? s.desk.kid : '')`, &kid)
	if kid != curKid {
		t.Fatalf("the tablet seals to desk key %q, want the current %q", kid, curKid)
	}
	if n := len(casesOnServer(t, be.env)); n != 2 {
		t.Fatalf("server has %d cases, want 2", n)
	}
}
