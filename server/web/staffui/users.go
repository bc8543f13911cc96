package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type usersPage struct {
	Users []staff.User
	Roles []string
	Error string
}

func (h *Handler) users(c *fiber.Ctx) error { return h.showUsers(c, fiber.StatusOK, "", nil) }

func (h *Handler) showUsers(c *fiber.Ctx, status int, errKey string, form map[string]string) error {
	list, err := h.Staff.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, status, "staff/users", &view.Data{Form: form, Page: usersPage{Users: list, Roles: staff.Roles, Error: errKey}})
}

// userAdd creates a user with a first password the admin hands over; the
// user sets up the second factor at the first sign-in.
func (h *Handler) userAdd(c *fiber.Ctx) error {
	form := map[string]string{"email": c.FormValue("email"), "name": c.FormValue("name"), "role": c.FormValue("role")}
	u, err := h.Staff.Create(c.UserContext(), staff.NewUser{Email: form["email"], Name: form["name"], Role: form["role"],
		Lang: c.FormValue("lang"), Password: c.FormValue("password")})
	if err != nil {
		if status, key, ok := formRefusal(err); ok {
			return h.showUsers(c, status, key, form)
		}
		return err
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.UserAdd, Target: u.ID, Detail: u.Role})
	return back(c, "/staff/users", "user_added")
}

func (h *Handler) userChange(c *fiber.Ctx, detail, done string, f func(id string) error) error {
	id := c.Params("id")
	if id == auth.CurrentUser(c).ID && detail != "reset_totp" {
		// An admin cannot lock themselves out (or demote the last admin).
		return fiber.ErrForbidden
	}
	if err := f(id); err != nil {
		return err // staff.ErrNotFound is a 404 through the one mapping
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.UserChange, Target: id, Detail: detail})
	return back(c, "/staff/users", done)
}

func (h *Handler) userDisable(c *fiber.Ctx) error {
	return h.userChange(c, "disable", "user_changed", func(id string) error { return h.Staff.SetDisabled(c.UserContext(), id, true) })
}

func (h *Handler) userEnable(c *fiber.Ctx) error {
	return h.userChange(c, "enable", "user_changed", func(id string) error { return h.Staff.SetDisabled(c.UserContext(), id, false) })
}

func (h *Handler) userResetTOTP(c *fiber.Ctx) error {
	return h.userChange(c, "reset_totp", "totp_reset", func(id string) error { return h.Staff.ResetTOTP(c.UserContext(), id) })
}

func (h *Handler) userRole(c *fiber.Ctx) error {
	role := c.FormValue("role")
	return h.userChange(c, "role:"+role, "user_changed", func(id string) error { return h.Staff.SetRole(c.UserContext(), id, role) })
}
