package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
)

// caseMessage previews (action=preview) or sends a message to her.
func (h *Handler) caseMessage(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	o := cases.Outgoing{Text: c.FormValue("text"), Line: c.FormValue("line"), Answer: c.FormValue("answer") == "1"}
	keep := func(p *casePage) { p.Text, p.Line, p.Answer = o.Text, o.Line, o.Answer }
	if c.FormValue("action") == "preview" {
		body, err := h.Cases.Compose(c.UserContext(), k, o)
		if err != nil {
			return h.changed(c, k, "message", err, keep)
		}
		ref, refLang, stale := h.sideBySide(c, k, o)
		return h.showCase(c, k, fiber.StatusOK, func(p *casePage) {
			keep(p)
			p.Preview, p.PreviewRef, p.PreviewRefLang, p.PreviewStale = body, ref, refLang, stale
		})
	}
	if outcome := cases.Outcome(c.FormValue("close")); outcome != "" {
		// The answer and the closing in one submit (the common path).
		_, err = h.Cases.AnswerAndClose(c.UserContext(), k.ID, auth.CurrentUser(c).ID, o, outcome)
		return h.changed(c, k, "close", err, keep)
	}
	_, err = h.Cases.SendMessage(c.UserContext(), k.ID, auth.CurrentUser(c).ID, o)
	return h.changed(c, k, "message", err, keep)
}

func (h *Handler) caseNote(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	_, err = h.Cases.AddNote(c.UserContext(), k.ID, auth.CurrentUser(c).ID, c.FormValue("body"))
	return h.changed(c, k, "note", err, nil)
}

func (h *Handler) caseExtend(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "1" {
		// Extending tells her the answer comes later: a deliberate act.
		return h.changed(c, k, "extend", errConfirm, nil)
	}
	_, err = h.Cases.Extend(c.UserContext(), k.ID, auth.CurrentUser(c).ID, c.FormValue("line"))
	return h.changed(c, k, "extend", err, nil)
}
