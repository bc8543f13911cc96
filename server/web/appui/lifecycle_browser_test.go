package appui_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestAppExpiredDeviceKeepsQueue: a tablet whose token was not used for
// longer than the idle limit (30 days by default) is asked to sign in
// again, keeps every queued item, and sends them after the new sign-in.
func TestAppExpiredDeviceKeepsQueue(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	user, codes := outreachUser(t, be.env, "outreach")
	b := openBrowser(t, t.TempDir())
	dev := setupTablet(t, b, be.env, px.URL)
	setLastSeen(t, be.env, dev, time.Now().Add(-31*24*time.Hour))
	b.js(fmt.Sprintf(`(async () => { for (let i = 0; i < 3; i++) await gehoord.store.enqueue('report', %s); return true })()`, reportJS("kept while expired")), nil)
	b.run(chromedp.Reload())
	b.wait("document.querySelector('#unlock')", 20*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#unauthorized')", 20*time.Second)
	if n := b.queueLen(); n != 3 {
		t.Fatalf("an expired tablet holds %d items, want 3", n)
	}
	if got := len(casesOnServer(t, be.env)); got != 0 {
		t.Fatalf("an expired tablet sent %d cases", got)
	}
	b.click("#unauthorized button")
	b.wait("document.querySelector('#signin')", 5*time.Second)
	b.fill("#signin [name=email]", user.Email)
	b.fill("#signin [name=password]", "correct horse battery staple")
	b.fill("#signin [name=code]", codes[0])
	b.submit("#signin")
	b.wait("gehoord.store.waiting().then(n => n === 0)", 30*time.Second)
	if got := len(casesOnServer(t, be.env)); got != 3 {
		t.Fatalf("server has %d cases after the new sign-in, want 3", got)
	}
}

// firstUse signs a worker in on a fresh app and chooses the passphrase; it
// returns the device the server registered.
func firstUse(t *testing.T, b *browser, env *servertest.Env, origin, email, code string) outreach.Device {
	t.Helper()
	before, _ := env.Deps.Devices.List(context.Background())
	b.run(chromedp.Navigate(origin + "/app/"))
	b.wait("document.querySelector('#signin')", 20*time.Second)
	b.fill("#signin [name=email]", email)
	b.fill("#signin [name=password]", "correct horse battery staple")
	b.fill("#signin [name=code]", code)
	b.submit("#signin")
	b.wait("document.querySelector('#passphrase')", 20*time.Second)
	b.fill("#passphrase [name=p1]", Passphrase)
	b.fill("#passphrase [name=p2]", Passphrase)
	b.submit("#passphrase")
	b.wait("document.querySelector('#new-report')", 30*time.Second)
	devs, err := env.Deps.Devices.List(context.Background())
	if err != nil || len(devs) != len(before)+1 {
		t.Fatalf("registered devices: %d (before %d) %v", len(devs), len(before), err)
	}
	return devs[0] // newest first
}

// eraseFromLockScreen locks the app and uses "forgot the passphrase? erase
// everything" on the unlock screen.
func eraseFromLockScreen(t *testing.T, b *browser) {
	t.Helper()
	b.click("#lock")
	b.wait("document.querySelector('#unlock')", 10*time.Second)
	b.click(".reset summary")
	b.click("#reset")
	b.wait("document.querySelector('#signin')", 20*time.Second)
	var left bool
	b.js("gehoord.vault.exists()", &left)
	if left {
		t.Fatal("the vault is still on the tablet after erasing")
	}
}

// TestAppEraseRevokesDevice: "erase everything" on a locked tablet (the
// passphrase forgotten) withdraws the tablet's registration on the server
// when it is online; offline it still erases, and says the registration
// could not be withdrawn.
func TestAppEraseRevokesDevice(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	user, codes := outreachUser(t, be.env, "outreach")
	b := openBrowser(t, t.TempDir())

	dev := firstUse(t, b, be.env, px.URL, user.Email, codes[0])
	eraseFromLockScreen(t, b)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := be.env.Deps.Devices.Get(context.Background(), dev.ID)
		if err == nil && d.Revoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("erasing the tablet did not revoke it on the server (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.axe("sign-in after erasing")

	// Offline: erased all the same, and told so.
	dev = firstUse(t, b, be.env, px.URL, user.Email, codes[1])
	px.setDown(true)
	eraseFromLockScreen(t, b)
	b.wait("document.querySelector('#signin [role=alert]')", 5*time.Second)
	b.axe("sign-in after erasing offline")
	if d, err := be.env.Deps.Devices.Get(context.Background(), dev.ID); err != nil || d.Revoked {
		t.Fatalf("offline erase: revoked=%v %v", d.Revoked, err)
	}
}
