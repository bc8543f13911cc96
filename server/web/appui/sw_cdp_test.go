package appui_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// dispatchSync fires the service worker's Background Sync event through
// the DevTools protocol.
func dispatchSync(t *testing.T, b *browser, origin string) {
	t.Helper()
	regs := make(chan string, 8)
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if !r.IsDeleted {
					regs <- string(r.RegistrationID)
				}
			}
		}
	})
	// Enabling reports the registrations; a second call in the same
	// session only does after disabling.
	b.run(serviceworker.Disable(), serviceworker.Enable())
	var id string
	select {
	case id = <-regs:
	case <-time.After(10 * time.Second):
		t.Fatal("no service worker registration reported")
	}
	err := chromedp.Run(b.ctx, serviceworker.DispatchSyncEvent(origin, serviceworker.RegistrationID(id), "gehoord-sync", false))
	if err != nil {
		t.Fatalf("dispatch sync: %v", err)
	}
}
