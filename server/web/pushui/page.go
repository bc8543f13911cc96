package pushui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

// flashes are the confirmations a redirect may ask for with ?done=.
var flashes = map[string]string{
	"preference": "push.flash.preference",
	"removed":    "push.flash.removed",
}

type notificationsPage struct {
	Devices    []push.Device
	Preference string
	PublicKey  string
	// Receives is false for roles that are never notified (outreach).
	Receives bool
}

func (h *Handler) page(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := auth.CurrentUser(c)
	devs, err := h.Push.Devices(ctx, u.ID)
	if err != nil {
		return err
	}
	pref, err := h.Push.PreferenceOf(ctx, u.ID, u.Role)
	if err != nil {
		return err
	}
	key, err := h.Push.PublicKey(ctx)
	if err != nil {
		return err
	}
	l := lang(c)
	d := &view.Data{Lang: l, Languages: staff.Languages, Page: notificationsPage{
		Devices: devs, Preference: string(pref), PublicKey: key, Receives: u.Role != staff.RoleOutreach,
	}}
	if k, ok := flashes[c.Query("done")]; ok {
		d.Flash = h.Catalog.T(l, k)
	}
	return h.View.Render(c, fiber.StatusOK, "staff/notifications", d)
}

func (h *Handler) preference(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	err := h.Push.SetPreference(c.UserContext(), u.ID, push.Preference(c.FormValue("preference")))
	if err != nil { // the one mapping: invalid 422, not found 404
		return err
	}
	return c.Redirect("/staff/notifications?done=preference", fiber.StatusSeeOther)
}

func (h *Handler) removeDevice(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	err := h.Push.RemoveDevice(c.UserContext(), u.ID, c.Params("id"))
	if err != nil { // the one mapping: invalid 422, not found 404
		return err
	}
	return c.Redirect("/staff/notifications?done=removed", fiber.StatusSeeOther)
}
