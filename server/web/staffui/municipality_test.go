package staffui_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestCasePageShowsMunicipalityAndRegion: the case file names the
// municipality (not its code) and the safety region; "unknown" and
// "online" are said in words, without a region.
func TestCasePageShowsMunicipalityAndRegion(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	for in, want := range map[string][2]string{
		"GM0518": {"'s-Gravenhage", "Haaglanden"},
		"online": {"Online, not bound to a place", ""},
		"":       {"Unknown", ""},
	} {
		k := newCase(t, env, func(i *cases.Input) { i.Municipality = in })
		d, err := goquery.NewDocumentFromReader(strings.NewReader(expect(t, co.Get("/staff/cases/"+k.ID), 200, "")))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Find("#case-municipality").Text(); got != want[0] {
			t.Errorf("%q: municipality shown as %q, want %q", in, got, want[0])
		}
		if got := d.Find("#case-region").Text(); got != want[1] {
			t.Errorf("%q: region shown as %q, want %q", in, got, want[1])
		}
	}
}
