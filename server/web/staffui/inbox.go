package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/staff"
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
}

type inboxRow struct {
	cases.InboxItem
	Assignee string
}

func (h *Handler) inbox(c *fiber.Ctx) error {
	u := CurrentUser(c)
	ctx := c.UserContext()
	f := cases.InboxFilter{
		State: c.Query("state"), Kind: c.Query("kind"), Category: c.Query("category"),
		Assigned: c.Query("assigned"), Due: c.Query("due"), Theme: c.Query("theme"),
		Language: c.Query("language"), Channel: c.Query("channel"),
		Viewer: u.ID, OnlyOwn: u.Role == staff.RoleHandler,
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
	p := inboxPage{Total: box.Total, Any: f.State+f.Kind+f.Category+f.Assigned+f.Due+f.Theme+f.Language+f.Channel != ""}
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
		p.Items = append(p.Items, inboxRow{InboxItem: it, Assignee: names[it.Case.AssignedTo]})
	}
	return h.render(c, fiber.StatusOK, "staff/inbox", &view.Data{Page: p})
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
