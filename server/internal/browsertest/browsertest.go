// Package browsertest starts headless Chromium for tests: one fresh browser
// with its own profile per test, driven with chromedp's classic API.
//
//	ctx := browsertest.New(t)
//	err := chromedp.Run(ctx, chromedp.Navigate(url), ...)
//
// Browser tests are part of `make test`; nothing is skipped. A machine
// without Chromium fails the test with a message saying what to install.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is the Chromium binary; GEHOORD_CHROMIUM overrides it.
var Path = "/usr/bin/chromium"

// Timeout bounds one test's whole browser session.
var Timeout = 2 * time.Minute

// Flags are the command-line switches Chromium is started with: headless,
// no sandbox (tests run as root in CI),
// and nothing that reaches out to the network by itself.
var Flags = []chromedp.ExecAllocatorOption{
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("mute-audio", true),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.WindowSize(1280, 1024),
}

// New starts a headless Chromium with a fresh user-data dir and returns a
// context for chromedp.Run on its first tab. The browser is stopped and its
// profile removed when the test ends. extra switches come after Flags.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Path
	if p := os.Getenv("GEHOORD_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("browsertest: Chromium not found at %s (%v): install it (Debian: apt-get install -y chromium) or set GEHOORD_CHROMIUM", path, err)
	}
	// Not t.TempDir: Chromium's helper processes may still be writing the
	// profile for a moment after the browser is told to stop, which would
	// fail the test in TempDir's own clean-up.
	profile, err := os.MkdirTemp("", "gehoord-chromium-")
	if err != nil {
		t.Fatalf("browsertest: profile dir: %v", err)
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
	}, Flags...)
	opts = append(opts, extra...)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// Start the browser now, so a broken installation fails here, clearly.
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("browsertest: start Chromium at %s: %v", path, err)
	}
	return bctx
}
