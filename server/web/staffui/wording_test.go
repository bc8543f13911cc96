package staffui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestStaffWordingNeutral: staff texts speak of "de melder" / "the
// complainant", not "zij/haar" / "she/her" (complainants are women, men
// and trans people); push notifications are not called "meldingen" (a
// melding is a report); cards are "kaarten" throughout.
func TestStaffWordingNeutral(t *testing.T) {
	cat := i18n.Default()
	pronouns := map[string]*regexp.Regexp{
		"nl": regexp.MustCompile(`(?i)\b(zij|haar|zijzelf)\b`),
		"en": regexp.MustCompile(`(?i)\b(she|her|herself)\b`),
	}
	for lang, re := range pronouns {
		for _, k := range cat.Keys(lang) {
			if !i18n.StaffOnly(k) {
				continue
			}
			if v, ok := cat.Raw(lang, k); ok {
				if s, ok := v.(string); ok && re.MatchString(s) {
					t.Errorf("%s %s: %q", lang, k, s)
				}
			}
		}
	}
	for _, k := range cat.Keys("nl") {
		s, _ := cat.Raw("nl", k)
		v, _ := s.(string)
		if strings.HasPrefix(k, "push.") && regexp.MustCompile(`(?i)\bmelding(en)?\b`).MatchString(v) {
			t.Errorf("nl %s calls a push notification a melding: %q", k, v)
		}
		if i18n.StaffOnly(k) && strings.Contains(strings.ToLower(v), "kaartje") {
			t.Errorf("nl %s: %q (one word for cards: kaart)", k, v)
		}
	}
}

// TestTimelineCreatedOnce: the case's first timeline line names the event
// once ("Report came in"), not the event and then the same state again.
func TestTimelineCreatedOnce(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	k := newCase(t, env, nil)
	body := expect(t, co.Get("/staff/cases/"+k.ID), 200, "")
	created := env.Deps.Catalog.T("en", "staff.event.created")
	if !strings.Contains(body, created) || strings.Contains(body, created+": ") {
		t.Errorf("timeline shows %q with a state after it", created)
	}
	recv := env.Deps.Catalog.T("en", "state.received")
	if strings.Contains(body, recv+": "+recv) {
		t.Errorf("timeline shows %q twice", recv)
	}
}
