package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type accountPage struct {
	Sessions     int
	RecoveryLeft int
	// PasswordError is the catalog key of the password form's error.
	PasswordError string
	// App: her role may register a tablet, so the outreach app is linked.
	App bool
}

func (h *Handler) account(c *fiber.Ctx) error { return h.showAccount(c, fiber.StatusOK, "") }

func (h *Handler) showAccount(c *fiber.Ctx, status int, passwordError string) error {
	u := auth.CurrentUser(c)
	n, err := h.Staff.SessionCount(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return h.render(c, status, "staff/account", &view.Data{
		Form: map[string]string{"lang": u.Lang},
		Page: accountPage{Sessions: int(n), RecoveryLeft: u.RecoveryLeft(), PasswordError: passwordError,
			App: outreach.RolesAllowed[u.Role]}})
}

func (h *Handler) accountLang(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	if err := h.Staff.SetLang(c.UserContext(), u.ID, c.FormValue("lang")); err != nil {
		return err
	}
	return back(c, "/staff/account", "lang")
}

func (h *Handler) accountRecovery(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	codes, err := h.Staff.RenewRecoveryCodes(c.UserContext(), u)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "staff/recovery", &view.Data{Page: recoveryPage{Codes: codes, Next: "/staff/account"}})
}
