package appui_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestAppKeepsSentEntriesForTheConfiguredTime: the tidy-up at unlock uses
// the keep time from the desk's configuration (here 48 hours), not the
// app's built-in 12: a sent report's list entry 13 hours old stays, one
// 49 hours old goes.
func TestAppKeepsSentEntriesForTheConfiguredTime(t *testing.T) {
	be := &backend{t: t, dbName: storetest.DBName(), key: servertest.NewKey()}
	be.env = servertest.StartWith(t, servertest.Options{DBName: be.dbName, SecretKey: be.key,
		Env: map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": "48"}})
	be.addr = be.env.Addr
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	b.js(`gehoord.store.enqueue('report', `+reportJS("Bewaartijd van de lijst")+`).then(() => gehoord.sync.syncNow()).then(() => true)`, nil)
	b.wait("gehoord.store.waiting().then(n => n === 0)", 20*time.Second)
	b.wait("gehoord.store.items('report').then(l => l.length === 1 && l[0].state === 'sent')", 20*time.Second)

	unlockWithSentAgo := func(hours int) int {
		t.Helper()
		b.js(`gehoord.store.items('report').then(l => gehoord.store.putItem({ ...l[0], sentAt: Date.now() - `+
			strconv.Itoa(hours)+` * 3600 * 1000 })).then(() => true)`, nil)
		b.run(chromedp.Reload())
		b.wait("document.querySelector('#unlock')", 20*time.Second)
		b.fill("#unlock [name=passphrase]", Passphrase)
		b.submit("#unlock")
		b.wait("document.querySelector('#queue-waiting') && !gehoord.sync.status.running", 20*time.Second)
		var n int
		b.js(`gehoord.store.items('report').then(l => l.length)`, &n)
		return n
	}
	if n := unlockWithSentAgo(13); n != 1 {
		t.Fatalf("a report sent 13 hours ago is no longer listed (%d), with a keep time of 48 hours", n)
	}
	if n := unlockWithSentAgo(49); n != 0 {
		t.Fatalf("a report sent 49 hours ago is still listed (%d)", n)
	}
}
