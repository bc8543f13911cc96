package public_test

import (
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
)

// TestPrivacyPageSaysBothRetentions: the served privacy page states both
// configured periods: names and contacts, and what she wrote.
func TestPrivacyPageSaysBothRetentions(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{Env: map[string]string{
		"GEHOORD_RETENTION_DAYS": "180", "GEHOORD_CONTENT_RETENTION_DAYS": "1095"}})
	r := env.Get(t, "/en/privacy")
	text := doc(t, r).Find("main").Text()
	for _, want := range []string{"are erased 6 months after your case is closed", "are erased 3 years after your case is closed"} {
		if r.StatusCode != 200 || !strings.Contains(text, want) {
			t.Errorf("%d: the privacy page does not say %q", r.StatusCode, want)
		}
	}
}
