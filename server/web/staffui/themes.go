package staffui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type themeRow struct {
	cases.Theme
	Cases int
}

type themesPage struct {
	Themes []themeRow
	Groups []string
	Error  string
}

func (h *Handler) themes(c *fiber.Ctx) error { return h.showThemes(c, fiber.StatusOK, "") }

func (h *Handler) showThemes(c *fiber.Ctx, status int, errKey string) error {
	ts, err := h.Cases.Themes(c.UserContext())
	if err != nil {
		return err
	}
	counts, err := h.Cases.ThemeCounts(c.UserContext())
	if err != nil {
		return err
	}
	p := themesPage{Groups: cases.Groups, Error: errKey}
	for _, t := range ts {
		p.Themes = append(p.Themes, themeRow{Theme: t, Cases: counts[t.ID]})
	}
	return h.render(c, status, "staff/themes", &view.Data{Page: p})
}

func (h *Handler) themeCreate(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	t, err := h.Cases.CreateTheme(c.UserContext(), u.ID, c.FormValue("title"), c.FormValue("org_type"), c.FormValue("org_name"))
	if errors.Is(err, cases.ErrEmpty) || errors.Is(err, cases.ErrTooLong) {
		return h.showThemes(c, fiber.StatusUnprocessableEntity, "staff.themes.error")
	}
	if err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.ThemeChange, Target: t.ID, Detail: "create"})
	return back(c, "/staff/themes/"+t.ID, "theme_added")
}

type themePage struct {
	Theme      *cases.Theme
	Note       string
	Cases      []cases.Case
	Open       int
	Closed     int
	ByCategory map[string]int
	ByOutcome  map[string]int
	ByState    map[string]int
}

func (h *Handler) themeView(c *fiber.Ctx) error {
	t, err := h.Cases.Theme(c.UserContext(), c.Params("id"))
	if err != nil {
		return err // cases.ErrNotFound is a 404 through the one mapping
	}
	list, err := h.Cases.ThemeCases(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	p := themePage{Theme: t, Note: h.Cases.ThemeNote(t), Cases: list,
		ByCategory: map[string]int{}, ByOutcome: map[string]int{}, ByState: map[string]int{}}
	for _, k := range list {
		if k.State == cases.StateClosed {
			p.Closed++
			p.ByOutcome[string(k.Outcome)]++
		} else {
			p.Open++
		}
		p.ByCategory[k.Category]++
		p.ByState[string(k.State)]++
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.ThemeView, Target: t.ID})
	return h.render(c, fiber.StatusOK, "staff/theme", &view.Data{Page: p})
}

func (h *Handler) themeNote(c *fiber.Ctx) error {
	id := c.Params("id")
	err := h.Cases.SetThemeNote(c.UserContext(), id, c.FormValue("note"))
	if err != nil {
		return err // a 404 or 422 page through the one mapping (cases.ErrNotFound, ErrTooLong)
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.ThemeChange, Target: id, Detail: "note"})
	return back(c, "/staff/themes/"+id, "saved")
}
