package staffui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
)

func (h *Handler) caseTheme(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	err = h.Cases.LinkTheme(c.UserContext(), k.ID, c.FormValue("theme"), auth.CurrentUser(c).ID)
	if errors.Is(err, cases.ErrNotFound) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "no such theme")
	}
	return h.changed(c, k, "theme", err, nil)
}

func (h *Handler) caseUnlink(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	err = h.Cases.UnlinkTheme(c.UserContext(), k.ID, c.FormValue("theme"), auth.CurrentUser(c).ID)
	return h.changed(c, k, "unlink", err, nil)
}
