package staffui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

// nextStage is where a right password leads: a new password after an
// admin's reset, else the code, or setting up the second factor.
func nextStage(u *staff.User) (stage, path string) {
	switch {
	case u.MustChangePassword:
		return staff.StagePassword, "/staff/signin/password"
	case !u.HasTOTP():
		return staff.StageSetup, "/staff/signin/setup"
	}
	return staff.StageCode, "/staff/signin/code"
}

// newPasswordForm: GET /staff/signin/password, after a reset.
func (h *Handler) newPasswordForm(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StagePassword)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "staff/signin_password", &view.Data{CSRF: s.CSRF, Page: signinPage{}})
}

// newPasswordSubmit: POST /staff/signin/password. Her own password
// replaces the handed-over one; then a new session (new token) goes on to
// the second factor.
func (h *Handler) newPasswordSubmit(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StagePassword)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	if !auth.CheckCSRF(c, s.CSRF) {
		return fiber.NewError(fiber.StatusForbidden, "csrf")
	}
	ctx := c.UserContext()
	u, err := h.Staff.Get(ctx, s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	fail := func(key string) error {
		return h.render(c, fiber.StatusUnprocessableEntity, "staff/signin_password",
			&view.Data{CSRF: s.CSRF, Page: signinPage{Error: key}})
	}
	pw := c.FormValue("new_password")
	if pw != c.FormValue("new_password2") {
		return fail("staff.password.error_mismatch")
	}
	if err := h.Staff.ChooseNewPassword(ctx, u, pw); err != nil {
		if errors.Is(err, staff.ErrCredentials) {
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		}
		if _, key, ok := formRefusal(err); ok {
			return fail(key)
		}
		return err
	}
	if err := h.Staff.EndSession(ctx, auth.Token(c)); err != nil {
		return err
	}
	stage, next := nextStage(u)
	tok, _, err := h.Staff.StartSession(ctx, u.ID, stage)
	if err != nil {
		return err
	}
	h.cookies.SetSession(c, tok)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// accountPassword: POST /staff/account/password. She changes her password
// with the current one and a code; her other sessions end.
func (h *Handler) accountPassword(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	pw := c.FormValue("new_password")
	key, status := "", fiber.StatusUnprocessableEntity
	if pw != c.FormValue("new_password2") {
		key = "staff.password.error_mismatch"
	} else {
		err := h.Staff.ChangePassword(c.UserContext(), u, c.FormValue("current_password"), c.FormValue("code"), pw, auth.Token(c), h.ClientKey(c))
		if err == nil {
			return back(c, "/staff/account", "password")
		}
		var ok bool
		if status, key, ok = formRefusal(err); !ok {
			return err
		}
	}
	return h.showAccount(c, status, key)
}

// userReset: POST /staff/users/:id/reset, admins. A temporary password
// the admin hands over; the user chooses her own and a new second factor
// at the next sign-in.
func (h *Handler) userReset(c *fiber.Ctx) error {
	id := c.Params("id")
	if id == auth.CurrentUser(c).ID {
		return fiber.ErrForbidden // her own password she changes on the account page
	}
	err := h.Staff.Reset(c.UserContext(), id, c.FormValue("password"))
	if err != nil {
		// A wrong password is shown on the page; staff.ErrNotFound is a
		// 404 through the one mapping.
		if status, key, ok := formRefusal(err); ok {
			return h.showUsers(c, status, key, nil)
		}
		return err
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.UserChange, Target: id, Detail: "reset"})
	return back(c, "/staff/users", "user_reset")
}
