package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/web/auth"
)

func (h *Handler) caseView(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.CaseView, CaseID: k.ID})
	return h.showCase(c, k, fiber.StatusOK, nil)
}

// caseContact shows the contact details on the case page (a POST: each
// showing is a deliberate act, written to the audit log).
func (h *Handler) caseContact(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	u := auth.CurrentUser(c)
	if !canSeeContact(u, k) {
		return fiber.ErrForbidden
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.CaseContact, CaseID: k.ID})
	return h.showCase(c, k, fiber.StatusOK, func(p *casePage) {
		p.Contact, p.ShowContact = h.Cases.Field(k, "contact"), true
	})
}
