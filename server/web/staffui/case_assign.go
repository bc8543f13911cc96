package staffui

import (
	"errors"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
)

func (h *Handler) caseAssign(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	u := auth.CurrentUser(c)
	to := c.FormValue("to")
	switch {
	case isCoordinator(u):
		if to != "" {
			a, err := h.Staff.Get(c.UserContext(), to)
			if err != nil || a.Disabled || a.Role == staff.RoleOutreach {
				return fiber.NewError(fiber.StatusUnprocessableEntity, "no such assignee")
			}
		}
	case u.Role == staff.RoleHandler && k.AssignedTo == "" && to == u.ID:
		// A handler takes an unassigned case.
	case u.Role == staff.RoleHandler && k.AssignedTo == u.ID && to == "":
		// ... or gives it back to the inbox.
	default:
		return fiber.ErrForbidden
	}
	_, err = h.Cases.Assign(c.UserContext(), k.ID, u.ID, to)
	if errors.Is(err, cases.ErrChanged) && !isCoordinator(u) {
		return fiber.NewError(fiber.StatusConflict, "taken meanwhile")
	}
	return h.changed(c, k, "assign", err, nil)
}

func (h *Handler) casePriority(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(c.FormValue("priority"))
	if err != nil || !slices.Contains(cases.Priorities, p) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "priority")
	}
	_, err = h.Cases.SetPriority(c.UserContext(), k.ID, auth.CurrentUser(c).ID, p)
	return h.changed(c, k, "priority", err, nil)
}
