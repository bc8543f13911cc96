package staffui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
)

// Who may do what with a case. Roles are checked on every route first
// (Require); these rules then decide per case.
//
//   - Admins and coordinators open every case; handlers open the cases
//     assigned to them and unassigned ones; outreach opens none.
//   - Acting on a case (messages, notes, states, deadlines, referrals)
//     needs it to be assigned to you, or to be a coordinator or admin. A
//     handler takes an unassigned case first.
//   - Her name (work name or name) is shown to everyone who may open the
//     case: it is known to the desk, never outside it.
//   - Her contact details are shown only on request (each showing is in
//     the audit log), to coordinators and admins and to the handler
//     assigned to her case: they are for the desk. Sharing her identity
//     with the organisation complained about is a separate consent
//     (ShareIdentity), used only for that.
func canOpen(u *staff.User, c *cases.Case) bool {
	switch u.Role {
	case staff.RoleAdmin, staff.RoleCoordinator:
		return true
	case staff.RoleHandler:
		return c.AssignedTo == u.ID || c.AssignedTo == ""
	}
	return false
}

func isCoordinator(u *staff.User) bool {
	return u.Role == staff.RoleAdmin || u.Role == staff.RoleCoordinator
}

func canAct(u *staff.User, c *cases.Case) bool {
	return isCoordinator(u) || (u.Role == staff.RoleHandler && c.AssignedTo == u.ID)
}

func canSeeContact(u *staff.User, c *cases.Case) bool {
	if c.IdentityMode == "anonymous" || c.Erased {
		return false
	}
	return isCoordinator(u) || (u.Role == staff.RoleHandler && c.AssignedTo == u.ID)
}

// loadCase reads the case of the :id parameter; a case the user may not
// open answers 404 as if it did not exist, so ids cannot be probed.
func (h *Handler) loadCase(c *fiber.Ctx) (*cases.Case, error) {
	u := auth.CurrentUser(c)
	k, err := h.Cases.View(c.UserContext(), c.Params("id"))
	if errors.Is(err, cases.ErrNotFound) {
		return nil, fiber.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !canOpen(u, k) {
		h.audit(c, audit.Entry{UserID: u.ID, Action: audit.CaseView, CaseID: k.ID, Detail: "denied"})
		return nil, fiber.ErrNotFound
	}
	return k, nil
}

// loadActable is loadCase for changes: 403 when the user may open but not
// change the case (a handler on an unassigned case).
func (h *Handler) loadActable(c *fiber.Ctx) (*cases.Case, error) {
	k, err := h.loadCase(c)
	if err != nil {
		return nil, err
	}
	if !canAct(auth.CurrentUser(c), k) {
		return nil, fiber.ErrForbidden
	}
	return k, nil
}
