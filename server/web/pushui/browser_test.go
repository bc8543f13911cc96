package pushui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

type shown struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Tag   string `json:"tag"`
	URL   string `json:"url"`
}

// The staff page registers the worker and goes through the real Push API
// flow as far as headless Chromium allows (its subscribe() never settles:
// the page gives up after its time-out and says so); a push delivered to
// the worker through the DevTools protocol shows the neutral notification
// in the reader's language.
func TestBrowserNotificationsPage(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "coordinator")
	ctx := browsertest.New(t)

	u, _ := url.Parse(env.URL)
	var cookie string
	for _, ck := range c.Jar.Cookies(u) {
		if strings.Contains(ck.Name, "gehoord_staff") {
			cookie = ck.Name + "=" + ck.Value
			if err := chromedp.Run(ctx, network.SetCookie(ck.Name, ck.Value).WithURL(env.URL).WithHTTPOnly(true)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie after sign-in")
	}

	var mu sync.Mutex
	var regID serviceworker.RegistrationID
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if !r.IsDeleted && strings.HasSuffix(r.ScopeURL, "/staff/") {
					mu.Lock()
					regID = r.RegistrationID
					mu.Unlock()
				}
			}
		}
	})
	err := chromedp.Run(ctx,
		browser.GrantPermissions([]browser.PermissionType{browser.PermissionTypeNotifications}).WithOrigin(env.URL),
		serviceworker.Enable(),
		chromedp.Navigate(env.URL+"/staff/notifications"),
		chromedp.WaitVisible("#push-on", chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing was asked on load: the permission prompt comes only from the
	// button (granted up front here, as headless has no prompt to click).
	var scope string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`navigator.serviceWorker.ready.then(r => r.scope)`, &scope, awaitPromise)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(scope, "/staff/") {
		t.Errorf("worker scope %q", scope)
	}

	// Tap the button: permission, the worker, subscribe (time-boxed).
	var status string
	err = chromedp.Run(ctx,
		chromedp.SetAttributeValue("#push-box", "data-timeout", "3000", chromedp.ByQuery),
		chromedp.SendKeys("#push-label", "Testbrowser", chromedp.ByID),
		chromedp.Click("#push-on", chromedp.ByID),
		chromedp.WaitVisible(`#push-box [data-msg="working"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Either the browser answered (then the page posted the subscription and
	// reloaded) or, as headless Chromium does, subscribe() hung and the page
	// says the push service does not answer.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_ = chromedp.Run(ctx, chromedp.Evaluate(`(function(){var e=document.querySelector('#push-box [data-msg]:not([hidden])');return e?e.getAttribute('data-msg'):''})()`, &status))
		if status != "" && status != "working" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var perm string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`Notification.permission`, &perm))
	switch status {
	case "timeout":
		t.Log("headless Chromium: subscribe() did not settle; the page timed out as designed")
	case "on":
		if devs, _ := env.Deps.Push.Devices(t.Context(), c.User.ID); len(devs) != 1 {
			t.Errorf("the browser subscribed but the server has %d devices", len(devs))
		}
	default:
		t.Errorf("after the tap the page shows %q (permission %s)", status, perm)
	}
	if perm != "granted" {
		t.Errorf("permission %q", perm)
	}

	mu.Lock()
	id := regID
	mu.Unlock()
	if id == "" {
		t.Fatal("no service worker registration reported")
	}
	cases := []struct {
		payload string
		want    shown
	}{
		{`{"type":"case.new","id":"0b6f6c1e-7a43-4b7e-9d36-2f4a8c1d0e55","lang":"en"}`,
			shown{Title: "Gehoord", Body: "New activity", URL: "/staff/cases/0b6f6c1e-7a43-4b7e-9d36-2f4a8c1d0e55"}},
		{`{"type":"case.reply","id":"c2","lang":"nl"}`,
			shown{Title: "Gehoord", Body: "Nieuwe activiteit", URL: "/staff/cases/c2"}},
		{`{"type":"summary","id":"","lang":"en"}`,
			shown{Title: "Gehoord", Body: "Today's overview is ready", URL: "/staff/"}},
	}
	// The browser closes a shown notification by itself after a while
	// (headless Chromium: about 25 s after showing it, as a popup times
	// out), so the three need not all be there at once: under load the
	// first ones could be gone before the last was shown. Each push is
	// delivered after the one before it was seen, and every notification
	// seen counts (by tag: each of the three has its own).
	seen := map[string]shown{}
	for i, tc := range cases {
		if err := chromedp.Run(ctx, serviceworker.DeliverPushMessage(env.URL, id, tc.payload)); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(20 * time.Second); len(seen) <= i && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			var raw string
			err := chromedp.Run(ctx, chromedp.Evaluate(`navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => JSON.stringify(ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: (n.data && n.data.url) || ''}))))`, &raw, awaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			var now []shown
			_ = json.Unmarshal([]byte(raw), &now)
			for _, n := range now {
				seen[n.Tag] = n
			}
		}
	}
	var got []shown
	for _, n := range seen {
		got = append(got, n)
	}
	if len(got) != len(cases) {
		t.Fatalf("notifications shown: %+v", got)
	}
	for _, tc := range cases {
		found := false
		for _, g := range got {
			if g.Title == tc.want.Title && g.Body == tc.want.Body && g.URL == tc.want.URL {
				found = true
			}
		}
		if !found {
			t.Errorf("no notification %+v among %+v", tc.want, got)
		}
	}
}

// When the browser's push service is not an accepted one, the page says so
// in the staff member's language instead of a bare "that did not work".
// Headless Chromium's subscribe() never settles, so the page's script gets
// a subscription the way a browser with another push service gives one.
// The browser answers the page's first look-up of its subscription late, as
// a slow phone does: that late answer must not overwrite what the tap led to
// (it did, in CI: the page went back to "off").
func TestBrowserRefusedPushService(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "coordinator")
	ctx := browsertest.New(t)
	u, _ := url.Parse(env.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if err := chromedp.Run(ctx, network.SetCookie(ck.Name, ck.Value).WithURL(env.URL).WithHTTPOnly(true)); err != nil {
			t.Fatal(err)
		}
	}
	keys := pushtest.NewSubscriber(t)
	browserSide := `(function () {
		var look = PushManager.prototype.getSubscription, first = true, settled;
		window.firstLookupSettled = new Promise(function (r) { settled = r; });
		PushManager.prototype.getSubscription = function () {
			var p = look.apply(this, arguments);
			if (!first) { return p; }
			first = false;
			return new Promise(function (resolve, reject) {
				setTimeout(function () {
					p.then(function (s) { resolve(s); setTimeout(settled, 0); },
						function (e) { reject(e); setTimeout(settled, 0); });
				}, 3000);
			});
		};
		PushManager.prototype.subscribe = function () { return Promise.resolve({
			toJSON: function () { return {endpoint: 'https://169.254.169.254/latest/meta-data/', expirationTime: null,
				keys: {p256dh: '` + keys.P256dh() + `', auth: '` + keys.AuthSecret() + `'}}; },
			unsubscribe: function () { return Promise.resolve(true); }}); };
	})();`
	err := chromedp.Run(ctx,
		browser.GrantPermissions([]browser.PermissionType{browser.PermissionTypeNotifications}).WithOrigin(env.URL),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(browserSide).Do(ctx)
			return err
		}),
		chromedp.Navigate(env.URL+"/staff/notifications"),
		chromedp.WaitVisible("#push-on", chromedp.ByID),
		chromedp.Click("#push-on", chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	shownNow := func() string {
		var shown string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`(function(){var e=document.querySelector('#push-box [data-msg]:not([hidden])');return e?e.getAttribute('data-msg'):''})()`, &shown))
		return shown
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(wctx, chromedp.WaitVisible(`#push-box [data-msg="service"]`, chromedp.ByQuery)); err != nil {
		t.Fatalf("no refused-push-service message (the page shows %q): %v", shownNow(), err)
	}
	var settled bool
	if err := chromedp.Run(wctx, chromedp.Evaluate(`window.firstLookupSettled.then(function () { return true; })`, &settled, awaitPromise)); err != nil {
		t.Fatal(err)
	}
	if shown := shownNow(); shown != "service" {
		t.Fatalf("after the late first look-up the page shows %q, want the refused-push-service message", shown)
	}
	var text string
	if err := chromedp.Run(ctx, chromedp.Text(`#push-box [data-msg="service"]`, &text, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if want := env.Deps.Catalog.T(c.User.Lang, "push.status.service"); strings.TrimSpace(text) != want {
		t.Errorf("the page says %q, want %q", text, want)
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), c.User.ID); len(devs) != 0 {
		t.Errorf("%d devices stored", len(devs))
	}
}
