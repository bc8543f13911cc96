package appui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/view"
)

type deviceRow struct {
	ID, Label, User   string
	Created, LastSeen time.Time
	Revoked, Expired  bool
	RevokedAt         time.Time
}

// UserNamer names a staff user for the device list ("" when unknown).
type UserNamer func(ctx context.Context, id string) string

func (h *Handler) data(c *fiber.Ctx) *view.Data {
	d := &view.Data{Lang: "nl"}
	if h.CurrentUser != nil {
		d.User, d.Lang = h.CurrentUser(c)
	}
	if h.CSRF != nil {
		d.CSRF = h.CSRF(c)
	}
	return d
}

// deviceList: GET /staff/devices, admins only.
func (h *Handler) deviceList(c *fiber.Ctx) error {
	devs, err := h.Devices.List(c.UserContext())
	if err != nil {
		return err
	}
	rows := make([]deviceRow, 0, len(devs))
	for _, d := range devs {
		r := deviceRow{ID: d.ID, Label: d.Label, User: d.UserID, Created: d.Created, LastSeen: d.LastSeen,
			Revoked: d.Revoked, Expired: h.Devices.Expired(d)}
		if h.UserName != nil {
			if n := h.UserName(c.UserContext(), d.UserID); n != "" {
				r.User = n
			}
		}
		if d.RevokedAt != nil {
			r.RevokedAt = *d.RevokedAt
		}
		rows = append(rows, r)
	}
	d := h.data(c)
	d.Page = rows
	if c.Query("done") == "revoked" {
		d.Flash = h.Catalog.T(d.Lang, "app.devices.revoked_done")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.View.Render(c, fiber.StatusOK, "staff/devices", d)
}

// deviceRevoke: POST /staff/devices/:id/revoke, admins only (CSRF checked
// by the staff middleware). The tablet keeps its queue; its next sync gets
// 401 and asks for a new sign-in.
func (h *Handler) deviceRevoke(c *fiber.Ctx) error {
	by := ""
	if h.CurrentUser != nil {
		if u, _ := h.CurrentUser(c); u != nil {
			by = u.ID
		}
	}
	if err := h.Devices.Revoke(c.UserContext(), c.Params("id"), by); err != nil {
		return err // an unknown device is outreach.ErrNotFound: the 404 page
	}
	if h.Audit != nil {
		h.Audit(c, c.Params("id"))
	}
	return c.Redirect("/staff/devices?done=revoked", fiber.StatusSeeOther)
}
