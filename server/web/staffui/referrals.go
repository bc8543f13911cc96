package staffui

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
	"github.com/gehoord/gehoord/server/workdays"
)

// Referrals: the organisation is chosen from the social map (never typed),
// and each referral is followed up — proposed, accepted by the
// complainant, contacted, done — with a reminder day, listed on
// /staff/referrals when it comes due.

// errNoSuchOrg: the organisation posted is not (or no longer) on the map.
var errNoSuchOrg = fault.New(fault.Invalid, "staff.case.error.referral_org", "staffui: no such organisation on the social map")

type referralRow struct {
	cases.Referral
	Next      []string
	Due       bool
	Reference string
}

type referralView struct {
	List []referralRow
	Orgs []option // active organisations of the social map
}

func (h *Handler) referralRows(rs []cases.Referral) []referralRow {
	// Due: the follow-up day is today or past.
	y, m, d := h.Now().In(workdays.Amsterdam).Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, workdays.Amsterdam)
	out := make([]referralRow, 0, len(rs))
	for _, r := range rs {
		out = append(out, referralRow{Referral: r, Next: cases.ReferralNext(r.Status), Due: r.Open() && r.RemindOn.Before(tomorrow)})
	}
	return out
}

// fillReferrals adds the case's referrals and the organisations to choose
// from to the case page.
func (h *Handler) fillReferrals(c *fiber.Ctx, k *cases.Case, p *casePage) error {
	rs, err := h.Cases.Referrals(c.UserContext(), k.ID)
	if err != nil {
		return err
	}
	p.Ref.List = h.referralRows(rs)
	if !p.CanAct {
		for i := range p.Ref.List {
			p.Ref.List[i].Next = nil
		}
		return nil
	}
	if h.SocialMap != nil {
		orgs, err := h.SocialMap.List(c.UserContext(), socialmap.Filter{})
		if err != nil {
			return err
		}
		// The suggestions first, then the whole map.
		seen := map[string]bool{}
		for _, m := range p.Referrals {
			p.Ref.Orgs = append(p.Ref.Orgs, option{Value: m.Key, Label: m.Name})
			seen[m.Key] = true
		}
		for _, o := range orgs {
			if !seen[o.Key] {
				p.Ref.Orgs = append(p.Ref.Orgs, option{Value: o.Key, Label: o.Name})
			}
		}
	}
	return nil
}

// remindDay reads an optional follow-up day (YYYY-MM-DD, Amsterdam).
func remindDay(c *fiber.Ctx) time.Time {
	d, err := time.ParseInLocation("2006-01-02", c.FormValue("remind"), workdays.Amsterdam)
	if err != nil {
		return time.Time{}
	}
	return d
}

func (h *Handler) referralPropose(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	u := auth.CurrentUser(c)
	var org socialmap.Organisation
	if h.SocialMap == nil {
		err = errNoSuchOrg
	} else if org, err = h.SocialMap.Get(c.UserContext(), c.FormValue("org")); err != nil || org.Retired {
		if err != nil && !errors.Is(err, socialmap.ErrNotFound) {
			return err
		}
		err = errNoSuchOrg
	}
	if err == nil {
		var r cases.Referral
		r, err = h.Cases.ProposeReferral(c.UserContext(), k.ID, u.ID, org.Key, org.Name, c.FormValue("consent") == "1", remindDay(c))
		if err == nil {
			h.audit(c, audit.Entry{UserID: u.ID, Action: audit.ReferralChange, CaseID: k.ID, Target: org.Key, Detail: "referral", To: r.Status})
		}
	}
	return h.changed(c, k, "referral", err, nil)
}

func (h *Handler) referralStep(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	u := auth.CurrentUser(c)
	to := c.FormValue("to")
	before, err := h.Cases.StepReferral(c.UserContext(), k.ID, c.Params("rid"), u.ID, to, remindDay(c))
	if err == nil {
		h.audit(c, audit.Entry{UserID: u.ID, Action: audit.ReferralChange, CaseID: k.ID, Target: before.OrgKey,
			Detail: "referral", From: before.Status, To: to})
	}
	return h.changed(c, k, "referral", err, nil)
}

type referralsPage struct {
	Rows []referralRow
}

// referrals lists the open referrals, the ones due for follow-up first:
// the reminders. Handlers see those of the cases they may open.
func (h *Handler) referrals(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	rs, err := h.Cases.OpenReferrals(c.UserContext())
	if err != nil {
		return err
	}
	p := referralsPage{}
	for _, r := range h.referralRows(rs) {
		k, err := h.Cases.Get(c.UserContext(), r.CaseID)
		if err != nil || !canOpen(u, k) {
			continue
		}
		r.Reference = k.Reference
		p.Rows = append(p.Rows, r)
	}
	return h.render(c, fiber.StatusOK, "staff/referrals", &view.Data{Page: p})
}

// referralKeys are the catalog keys built from a referral's state (listed
// so the catalog test sees them; TestReferralKeys checks the list).
var referralKeys = []string{
	"staff.referral.status.proposed", "staff.referral.status.accepted", "staff.referral.status.contacted",
	"staff.referral.status.done", "staff.referral.status.declined",
	"staff.referral.to.accepted", "staff.referral.to.contacted", "staff.referral.to.done", "staff.referral.to.declined",
}
