package staffui

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type option struct {
	Value, Label string
	Count        int
}

type facet struct {
	Name     string
	Label    string // catalog key
	Selected string
	Options  []option
}

type inboxPage struct {
	Facets []facet
	Items  []inboxRow
	Total  int
	Any    bool // a filter is set
	// Query is the reference searched for; Sort the chosen order.
	Query string
	Sort  string
	Sorts []option // Label is a catalog key
	// Mine: the "mine" filter is on (assigned to the viewer).
	Mine bool
	// Page of Pages; Prev and Next are the links ("" at the ends).
	Page, Pages int
	Prev, Next  string
	// Base is the current filter as a query string (without page), for
	// the sort and page links.
	Base string
	// Themes offered to link several cases at once (coordinators).
	Themes []cases.Theme
	// Back is where the bulk form returns to.
	Back string
}

type inboxRow struct {
	cases.InboxItem
	Assignee   string
	ThemeNames []string
}

func (h *Handler) inbox(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	ctx := c.UserContext()
	// Copies: the filter outlives nothing, but the page keeps these
	// strings after the handler returns only through the rendered bytes.
	q := func(k string) string { return strings.Clone(c.Query(k)) }
	page, _ := strconv.Atoi(c.Query("page"))
	f := cases.InboxFilter{
		State: q("state"), Kind: q("kind"), Category: q("category"),
		Assigned: q("assigned"), Due: q("due"), Theme: q("theme"),
		Language: q("language"), Channel: q("channel"),
		Viewer: u.ID, OnlyOwn: u.Role == staff.RoleHandler,
		Query: strings.TrimSpace(q("q")), Sort: q("sort"), Page: page,
	}
	if !slices.Contains(cases.Sorts, f.Sort) {
		f.Sort = cases.SortDeadline
	}
	box, err := h.Cases.Inbox(ctx, f)
	if err != nil {
		return err
	}
	names, err := h.userNames(c)
	if err != nil {
		return err
	}
	themes, err := h.Cases.Themes(ctx)
	if err != nil {
		return err
	}
	lang := h.lang(c)
	T := func(k string) string { return h.Catalog.T(lang, k) }
	mk := func(name, label, sel string, vals []string, lab func(string) string) facet {
		fc := facet{Name: name, Label: label, Selected: sel}
		for _, v := range vals {
			fc.Options = append(fc.Options, option{Value: v, Label: lab(v), Count: box.Counts[name][v]})
		}
		return fc
	}
	var states, cats, chans, themeIDs []string
	for _, s := range cases.AllStates {
		states = append(states, string(s))
	}
	for _, k := range cases.Categories {
		cats = append(cats, k.ID)
	}
	for _, ch := range cases.Channels {
		chans = append(chans, string(ch))
	}
	themeName := map[string]string{}
	for _, t := range themes {
		themeIDs = append(themeIDs, t.ID)
		themeName[t.ID] = t.Title
	}
	p := inboxPage{Total: box.Total, Any: f.State+f.Kind+f.Category+f.Assigned+f.Due+f.Theme+f.Language+f.Channel+f.Query != "",
		Query: f.Query, Sort: f.Sort, Sorts: sortOptionsFor, Mine: f.Assigned == cases.AssignedMe, Page: box.Page, Pages: box.Pages}
	base := url.Values{}
	for k, v := range map[string]string{"state": f.State, "kind": f.Kind, "category": f.Category, "assigned": f.Assigned,
		"due": f.Due, "theme": f.Theme, "language": f.Language, "channel": f.Channel, "q": f.Query} {
		if v != "" {
			base.Set(k, v)
		}
	}
	if f.Sort != cases.SortDeadline {
		base.Set("sort", f.Sort)
	}
	p.Base = base.Encode()
	pageLink := func(n int) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if e := v.Encode(); e != "" {
			return "/staff/?" + e
		}
		return "/staff/"
	}
	if p.Page > 1 {
		p.Prev = pageLink(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = pageLink(p.Page + 1)
	}
	p.Back = pageLink(p.Page)
	if isCoordinator(u) {
		p.Themes = themes
	}
	p.Facets = []facet{
		mk("state", "staff.inbox.state", f.State, states, func(v string) string { return T("state." + v) }),
		mk("kind", "staff.inbox.kind", f.Kind, cases.Kinds, func(v string) string { return T("kind." + v + ".label") }),
		mk("category", "staff.inbox.category", f.Category, cats, func(v string) string { return T("category." + v + ".label") }),
		mk("assigned", "staff.inbox.assigned", f.Assigned, []string{cases.AssignedMe, cases.AssignedUnassigned},
			func(v string) string { return T("staff.inbox.assigned_" + v) }),
		mk("due", "staff.inbox.due", f.Due, []string{cases.DueSoon, cases.DueOverdue}, func(v string) string { return T("staff.inbox.due_" + v) }),
		mk("theme", "staff.inbox.theme", f.Theme, themeIDs, func(v string) string { return themeName[v] }),
		mk("language", "staff.inbox.language", f.Language, cases.PublicLanguages, func(v string) string { return h.Catalog.Name(v) }),
		mk("channel", "staff.inbox.channel", f.Channel, chans, func(v string) string { return T("staff.channel." + v) }),
	}
	for _, it := range box.Items {
		r := inboxRow{InboxItem: it, Assignee: names[it.Case.AssignedTo]}
		for _, id := range it.Case.Themes {
			if n := themeName[id]; n != "" {
				r.ThemeNames = append(r.ThemeNames, n)
			}
		}
		p.Items = append(p.Items, r)
	}
	return h.render(c, fiber.StatusOK, "staff/inbox", &view.Data{Page: p})
}

// sortOptionsFor names the inbox's orders (catalog keys).
var sortOptionsFor = []option{
	{Value: cases.SortDeadline, Label: "staff.inbox.sort_deadline"},
	{Value: cases.SortReceived, Label: "staff.inbox.sort_received"},
	{Value: cases.SortActivity, Label: "staff.inbox.sort_activity"},
}

// userNames maps every user id to a display name (for assignees and the
// timeline; disabled users keep their name in history).
func (h *Handler) userNames(c *fiber.Ctx) (map[string]string, error) {
	users, err := h.Staff.List(c.UserContext())
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, u := range users {
		m[u.ID] = u.DisplayName()
	}
	return m, nil
}

// themeLinkMany links the cases ticked in the inbox to one theme at once
// (coordinators), then returns to the same inbox page.
func (h *Handler) themeLinkMany(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	ctx := c.UserContext()
	themeID := strings.Clone(c.FormValue("theme"))
	ids := c.Request().PostArgs().PeekMulti("case")
	if themeID == "" || len(ids) == 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "choose a theme and cases")
	}
	for _, b := range ids {
		id := string(b) // a copy of the request's bytes
		if _, err := h.Cases.Get(ctx, id); errors.Is(err, cases.ErrNotFound) {
			continue // gone meanwhile
		}
		err := h.Cases.LinkTheme(ctx, id, themeID, u.ID)
		if errors.Is(err, cases.ErrNotFound) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "no such theme")
		}
		if err != nil {
			return err
		}
		h.audit(c, audit.Entry{UserID: u.ID, Action: audit.CaseChange, CaseID: id, Detail: "theme"})
	}
	to := c.FormValue("back")
	if !strings.HasPrefix(to, "/staff/") || strings.HasPrefix(to, "//") {
		to = "/staff/"
	}
	return back(c, strings.Clone(to), "linked")
}
