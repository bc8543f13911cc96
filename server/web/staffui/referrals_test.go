package staffui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestReferralFollowUp: a referral names an organisation of the social map
// (a typed name is refused), goes proposed → accepted → contacted → done
// only in that order, comes up on the referrals page when its reminder
// day is reached, and each step is audited from → to.
func TestReferralFollowUp(t *testing.T) {
	env := servertest.Start(t)
	ctx := t.Context()
	org, err := env.Deps.SocialMap.Create(ctx, socialmap.Organisation{Name: "Woonhulp Amsterdam", Topics: []string{"housing"},
		Regions: []string{"Amsterdam-Amstelland"}, Languages: []string{"nl", "en"}, Phone: "020 765 4321", VerifiedOn: "2026-11-01"})
	if err != nil {
		t.Fatal(err)
	}
	h := stafftest.SignIn(t, env, "handler")
	k := newCase(t, env, nil)
	assign(t, env, k.ID, h.User.ID)
	page := expect(t, h.Get("/staff/cases/"+k.ID), 200, "")
	if dom(t, page).Find(`option[value="`+org.Key+`"]`).Text() != "Woonhulp Amsterdam" || count(t, page, `input[type="text"]#f-org`) != 0 {
		t.Fatal("the organisation is not chosen from the social map")
	}
	p := "/staff/cases/" + k.ID + "/referral"
	expect(t, h.PostForm(p, url.Values{"org": {"Some typed name"}}), 422, "")
	yesterday := time.Now().In(time.UTC).AddDate(0, 0, -1).Format("2006-01-02")
	expect(t, h.PostForm(p, url.Values{"org": {org.Key}, "remind": {yesterday}}), 303, "")
	rs, err := env.Deps.Cases.Referrals(ctx, k.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != cases.ReferralProposed || rs[0].OrgName != "Woonhulp Amsterdam" {
		t.Fatalf("referrals: %+v %v", rs, err)
	}
	r := rs[0]
	list := expect(t, h.Get("/staff/referrals"), 200, "")
	if count(t, list, `[data-referral="`+r.ID+`"].due`) != 1 || !strings.Contains(list, k.Reference) {
		t.Errorf("the referral is not listed as due")
	}
	step := func(to string, status int) {
		t.Helper()
		expect(t, h.PostForm("/staff/cases/"+k.ID+"/referrals/"+r.ID, url.Values{"to": {to}}), status, "")
	}
	step(cases.ReferralContacted, 422) // not before she agreed
	step(cases.ReferralAccepted, 303)
	list = expect(t, h.Get("/staff/referrals"), 200, "")
	if count(t, list, ".due") != 0 || count(t, list, `[data-referral="`+r.ID+`"]`) != 1 {
		t.Errorf("after the step the reminder should move on, the referral stay listed")
	}
	step(cases.ReferralContacted, 303)
	step(cases.ReferralDone, 303)
	step(cases.ReferralDone, 422)
	if list := expect(t, h.Get("/staff/referrals"), 200, ""); strings.Contains(list, r.ID) {
		t.Error("a done referral is still listed")
	}
	es, _ := env.Deps.Audit.List(ctx, audit.Filter{Action: audit.ReferralChange, CaseID: k.ID})
	var steps []string
	for i := len(es) - 1; i >= 0; i-- {
		steps = append(steps, es[i].From+">"+es[i].To)
	}
	if strings.Join(steps, " ") != ">proposed proposed>accepted accepted>contacted contacted>done" {
		t.Errorf("audited steps: %v", steps)
	}
	// Another handler's case: its referral is not shown.
	other := stafftest.SignIn(t, env, "handler")
	if list := expect(t, other.Get("/staff/referrals"), 200, ""); strings.Contains(list, k.Reference) {
		t.Error("another handler sees the referral")
	}
}
