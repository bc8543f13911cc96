package staffui

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type eventRow struct {
	ID        string
	At        time.Time
	Type      string
	Actor     string // catalog key or a staff name
	ActorKey  bool
	From, To  cases.State
	Body      string
	Data      map[string]string
	ThemeName string
}

type deadlineRow struct {
	Name    string
	Due     time.Time
	Overdue bool
	Current bool
	// Met: the acknowledgement was sent (automatically at intake).
	Met bool
}

type casePage struct {
	Case        *cases.Case
	Description string
	About       string
	Name        string
	Contact     string
	ShowContact bool // the contact details are on this page
	CanContact  bool
	AssignedTo  string

	Timeline []eventRow
	Thread   []eventRow
	Notes    []eventRow

	CanAct    bool
	CanTake   bool
	IsCoord   bool
	Next      []cases.State
	Routes    []cases.State
	CanClose  bool
	CanReopen bool
	// CanAnswer: the reasoned answer can be sent now, and with it the
	// case closed in the same step (CloseOutcomes).
	CanAnswer     bool
	CloseOutcomes []cases.Outcome
	Outcomes      []cases.Outcome
	Priorities    []int
	Assignees     []staff.User

	Texts       []option // the standard texts meant for the case now
	Text        string
	Line        string
	Answer      bool
	Preview     string
	PreviewLang string
	// PreviewRef is the same message in Dutch or English (PreviewRefLang),
	// shown beside hers; PreviewStale: her language's wording needs translation.
	PreviewRef     string
	PreviewRefLang string
	PreviewStale   bool

	Deadlines []deadlineRow
	CanExtend bool

	Similar []cases.Case
	// Referrals are organisations of the social map that fit the case's
	// municipality, category and language, offered for a warm referral.
	Referrals []socialmap.Match
	// Ref is the case's referrals with their follow-up, and the social
	// map's organisations to choose from.
	Ref       referralView
	Themes    []cases.Theme
	AllThemes []cases.Theme

	// Place is the case's municipality and safety region for display:
	// names, or the catalog key of "unknown" or "online" in PlaceKey.
	Place struct{ Municipality, Region, PlaceKey string }
	// Recorded: the outreach round and tablet that recorded the case.
	Recorded *recordedLine

	Error string // catalog key
}

// showCase renders the case file; opts adjusts the page (preview, contact,
// error) before rendering.
func (h *Handler) showCase(c *fiber.Ctx, k *cases.Case, status int, opts func(*casePage)) error {
	u := auth.CurrentUser(c)
	ctx := c.UserContext()
	p := &casePage{
		Case: k, Description: h.Cases.Field(k, "description"), About: h.Cases.Field(k, "about"),
		CanAct: canAct(u, k), IsCoord: isCoordinator(u), CanContact: canSeeContact(u, k),
		CanTake:  u.Role == staff.RoleHandler && k.AssignedTo == "",
		Outcomes: cases.Outcomes, Priorities: cases.Priorities, PreviewLang: k.Language,
	}
	if k.IdentityMode != "anonymous" && !k.Erased {
		p.Name = h.Cases.Field(k, "name")
	}
	switch name := cases.MunicipalityName(k.Municipality); {
	case k.Municipality == cases.MunicipalityOnline:
		p.Place.PlaceKey = "staff.case.municipality_online"
	case k.Municipality == cases.MunicipalityUnknown || k.Municipality == "":
		p.Place.PlaceKey = "staff.case.municipality_unknown"
	case name == "":
		// A code merged away since: the case keeps it and its region.
		p.Place.Municipality, p.Place.Region = k.Municipality, k.Region
	default:
		p.Place.Municipality, p.Place.Region = name, k.Region
	}
	names, err := h.userNames(c)
	if err != nil {
		return err
	}
	p.AssignedTo = names[k.AssignedTo]
	p.Recorded = h.recorded(c, k, names)
	themes, err := h.Cases.Themes(ctx)
	if err != nil {
		return err
	}
	themeName := map[string]string{}
	for _, t := range themes {
		themeName[t.ID] = t.Title
		if slices.Contains(k.Themes, t.ID) {
			p.Themes = append(p.Themes, t)
		} else {
			p.AllThemes = append(p.AllThemes, t)
		}
	}
	evs, err := h.Cases.Timeline(ctx, k.ID)
	if err != nil {
		return err
	}
	for i := range evs {
		e := &evs[i]
		r := eventRow{ID: e.ID, At: e.At, Type: e.Type, From: e.From, To: e.To, Data: e.Data, Body: h.Cases.EventBody(e)}
		switch e.Actor {
		case cases.ActorComplainant:
			r.Actor, r.ActorKey = "staff.case.actor_complainant", true
		case cases.ActorSystem:
			r.Actor, r.ActorKey = "staff.case.actor_system", true
		default:
			r.Actor = names[e.Actor]
		}
		if t := e.Data["theme"]; t != "" {
			r.ThemeName = themeName[t]
		}
		if e.Type == cases.EventAssigned {
			r.Body = names[e.Data["to"]]
		}
		p.Timeline = append(p.Timeline, r)
		switch e.Type {
		case cases.EventMessage, cases.EventReply:
			p.Thread = append(p.Thread, r)
		case cases.EventNote:
			p.Notes = append(p.Notes, r)
		}
	}
	if p.CanAct && h.SocialMap != nil {
		ms, err := h.SocialMap.MatchDetailed(ctx, k.Municipality, socialmap.TopicForCategory(k.Category), k.Language)
		if err != nil {
			return err
		}
		p.Referrals = ms[:min(len(ms), 5)]
	}
	if err := h.fillReferrals(c, k, p); err != nil {
		return err
	}
	if p.CanAct {
		if k.State == cases.StateReceived {
			// The route can be chosen straight away: triage is passed on
			// the way (ChooseRoute).
			p.Routes = slices.Clone(cases.Routes)
		}
		for _, s := range cases.NextStates(k.State) {
			switch {
			case s == cases.StateClosed:
				p.CanClose = k.State != cases.StateReopenRequested
			case k.State == cases.StateReopenRequested:
				// The coordinator decides on a reopen request.
			case s.IsRoute():
				p.Routes = append(p.Routes, s)
			default:
				p.Next = append(p.Next, s)
			}
		}
		if k.ReportOnly && k.State.Open() && k.State != cases.StateReopenRequested {
			// For reports only: no one is owed an answer; it closes as is.
			p.CanClose = true
		}
		p.CanReopen = p.IsCoord && (k.State == cases.StateReopenRequested || k.State == cases.StateClosed && k.NewReply)
		if p.Texts, err = h.pickerTexts(c, k); err != nil {
			return err
		}
		p.CanExtend = h.Cases.Extendable(k)
		p.CanAnswer = k.State == cases.StateFeedback || cases.CanTransition(k.State, cases.StateFeedback)
		if p.CanAnswer {
			p.CloseOutcomes = cases.Outcomes
		}
	}
	if p.IsCoord {
		p.Assignees, err = h.Staff.ListByRole(ctx, staff.RoleHandler, staff.RoleCoordinator, staff.RoleAdmin)
		if err != nil {
			return err
		}
	}
	next, _, _ := k.Deadlines.Next(h.Now(), k.State)
	now := h.Now()
	for _, d := range []struct {
		name string
		at   time.Time
	}{{cases.DeadlineAck, k.Deadlines.Ack}, {cases.DeadlineRoute, k.Deadlines.Route}, {cases.DeadlineAnswer, k.Deadlines.Answer}} {
		if d.at.IsZero() {
			continue // a report for reports only runs no deadlines
		}
		p.Deadlines = append(p.Deadlines, deadlineRow{Name: d.name, Due: d.at, Current: d.name == next, Overdue: d.name == next && now.After(d.at),
			Met: d.name == cases.DeadlineAck && !k.Deadlines.AckSent.IsZero()})
	}
	if p.Similar, err = h.Cases.Similar(ctx, k); err != nil {
		return err
	}
	// Suggest only what this user may open.
	p.Similar = slices.DeleteFunc(p.Similar, func(o cases.Case) bool { return !canOpen(u, &o) })
	if opts != nil {
		opts(p)
	}
	return h.render(c, status, "staff/case", &view.Data{Page: p})
}
