package staffui

import (
	"errors"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

// Answering a theme: one standard text to every case of the theme it is
// meant for, each in the complainant's language, in one step. The page
// previews first (a GET, so it works without JavaScript): which cases get
// it, which are skipped, and the text in each of their languages beside
// Dutch or English.

type answerLang struct {
	Lang  string
	Body  string
	Stale bool
}

type themeAnswerPage struct {
	Theme   *cases.Theme
	Texts   []option
	Text    string
	Plan    cases.ThemeAnswer
	Langs   []answerLang // her languages among the cases that get it
	Ref     answerLang   // the staff member's language
	Sent    int
	Skipped int
	Done    bool
}

func (h *Handler) themeAnswerPage(c *fiber.Ctx, status int, t *cases.Theme, name string, done *cases.ThemeAnswer) error {
	ctx := c.UserContext()
	all, err := h.Cases.Texts(ctx)
	if err != nil {
		return err
	}
	p := themeAnswerPage{Theme: t, Text: name}
	for _, x := range all {
		if !x.Retired && !x.Automatic() {
			p.Texts = append(p.Texts, option{Value: x.Name, Label: h.textTitle(c, x)})
		}
	}
	if done != nil {
		p.Done, p.Sent, p.Skipped, p.Plan = true, len(done.Send), len(done.Skip), *done
	} else if name != "" {
		txt, err := h.Cases.Text(ctx, name)
		if errors.Is(err, cases.ErrUnknownText) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "no such text")
		}
		if err != nil {
			return err
		}
		if p.Plan, err = h.Cases.PlanThemeAnswer(ctx, t.ID, name); err != nil {
			return err
		}
		var langs []string
		for _, k := range p.Plan.Send {
			if !slices.Contains(langs, k.Language) {
				langs = append(langs, k.Language)
			}
		}
		slices.Sort(langs)
		for _, l := range langs {
			p.Langs = append(p.Langs, answerLang{Lang: l, Body: h.Cases.RenderText(txt, l, "reference", "GH-…"), Stale: txt.Stale[l]})
		}
		ref := h.lang(c)
		p.Ref = answerLang{Lang: ref, Body: h.Cases.RenderText(txt, ref, "reference", "GH-…")}
	}
	return h.render(c, status, "staff/theme_answer", &view.Data{Page: p})
}

func (h *Handler) loadTheme(c *fiber.Ctx) (*cases.Theme, error) {
	t, err := h.Cases.Theme(c.UserContext(), c.Params("id"))
	if errors.Is(err, cases.ErrNotFound) {
		return nil, fiber.ErrNotFound
	}
	return t, err
}

func (h *Handler) themeAnswerForm(c *fiber.Ctx) error {
	t, err := h.loadTheme(c)
	if err != nil {
		return err
	}
	return h.themeAnswerPage(c, fiber.StatusOK, t, c.Query("text"), nil)
}

func (h *Handler) themeAnswerSend(c *fiber.Ctx) error {
	t, err := h.loadTheme(c)
	if err != nil {
		return err
	}
	u := auth.CurrentUser(c)
	name := c.FormValue("text")
	done, err := h.Cases.AnswerTheme(c.UserContext(), t.ID, u.ID, name)
	if errors.Is(err, cases.ErrUnknownText) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "no such text")
	}
	for _, k := range done.Send {
		h.audit(c, audit.Entry{UserID: u.ID, Action: audit.CaseChange, CaseID: k.ID, Detail: "message", Target: t.ID})
	}
	if err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.ThemeChange, Target: t.ID, Detail: "answer", Count: len(done.Send)})
	return h.themeAnswerPage(c, fiber.StatusOK, t, name, &done)
}
