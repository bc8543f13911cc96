package staffui

import (
	"encoding/base64"
	"errors"
	"html/template"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type signinPage struct {
	Error string // catalog key
}

func (h *Handler) signinForm(c *fiber.Ctx) error {
	if auth.CurrentUser(c) != nil {
		return c.Redirect(home(auth.CurrentUser(c)), fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "staff/signin", &view.Data{CSRF: h.cookies.PreToken(c), Page: signinPage{}})
}

func home(u *staff.User) string {
	if u.Role == staff.RoleOutreach {
		return "/staff/account"
	}
	return "/staff/"
}

func (h *Handler) signinPassword(c *fiber.Ctx) error {
	email := c.FormValue("email")
	form := map[string]string{"email": email}
	if !h.cookies.CheckPre(c) {
		// Nothing is tried; a form left open past preMaxAge gets a
		// fresh one.
		return h.render(c, fiber.StatusForbidden, "staff/signin",
			&view.Data{CSRF: h.cookies.PreToken(c), Form: form, Page: signinPage{Error: "staff.signin.expired"}})
	}
	u, err := h.Staff.CheckPassword(c.UserContext(), email, c.FormValue("password"), h.ClientKey(c))
	if err != nil {
		if status, key, ok := formRefusal(err); ok {
			return h.render(c, status, "staff/signin",
				&view.Data{CSRF: h.cookies.PreToken(c), Form: form, Page: signinPage{Error: key}})
		}
		return err
	}
	// Whatever session the browser had ends here; the next step gets a
	// fresh token.
	if old := c.Cookies(h.cookies.SessionName()); old != "" {
		_ = h.Staff.EndSession(c.UserContext(), old)
	}
	stage, next := nextStage(u)
	tok, _, err := h.Staff.StartSession(c.UserContext(), u.ID, stage)
	if err != nil {
		return err
	}
	h.cookies.SetSession(c, tok)
	h.cookies.ClearPre(c)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (h *Handler) codeForm(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StageCode)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "staff/signin_code", &view.Data{CSRF: s.CSRF, Page: signinPage{}})
}

func (h *Handler) codeSubmit(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StageCode)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	if !auth.CheckCSRF(c, s.CSRF) {
		return fiber.NewError(fiber.StatusForbidden, "csrf")
	}
	u, err := h.Staff.Get(c.UserContext(), s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	err = h.Staff.SecondFactor(c.UserContext(), u, c.FormValue("code"), h.ClientKey(c))
	if err != nil {
		if status, key, ok := formRefusal(err); ok {
			return h.render(c, status, "staff/signin_code", &view.Data{CSRF: s.CSRF, Page: signinPage{Error: key}})
		}
		return err
	}
	tok, _, err := h.Staff.CompleteSignIn(c.UserContext(), u, auth.Token(c))
	if err != nil {
		return err
	}
	h.cookies.SetSession(c, tok)
	return c.Redirect(home(u), fiber.StatusSeeOther)
}

type setupPage struct {
	Error  string
	Secret string
	QR     template.URL
}

func (h *Handler) setupData(c *fiber.Ctx, u *staff.User, s *staff.Session, errKey string) (*setupPage, error) {
	setup, err := h.Staff.BeginTOTPFor(c.UserContext(), u, s)
	if err != nil {
		return nil, err
	}
	png, err := qrcode.Encode(setup.URL, qrcode.Medium, 256)
	if err != nil {
		return nil, err
	}
	// A data: URL keeps the secret off any URL the browser might log or
	// cache (the CSP allows data: images).
	qr := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	return &setupPage{Error: errKey, Secret: setup.Secret, QR: qr}, nil
}

func (h *Handler) setupForm(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StageSetup)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	u, err := h.Staff.Get(c.UserContext(), s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	p, err := h.setupData(c, u, s, "")
	if errors.Is(err, staff.ErrTOTPAlreadySet) {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther) // set up meanwhile: sign in with it
	}
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "staff/signin_setup", &view.Data{CSRF: s.CSRF, Page: p})
}

type recoveryPage struct {
	Codes []string
	Next  string
}

func (h *Handler) setupSubmit(c *fiber.Ctx) error {
	s := auth.Pending(c, staff.StageSetup)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	if !auth.CheckCSRF(c, s.CSRF) {
		return fiber.NewError(fiber.StatusForbidden, "csrf")
	}
	u, err := h.Staff.Get(c.UserContext(), s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	codes, err := h.Staff.ConfirmTOTPFor(c.UserContext(), u, s, c.FormValue("code"), h.ClientKey(c))
	if err != nil {
		if errors.Is(err, staff.ErrTOTPAlreadySet) {
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		}
		status, key, ok := formRefusal(err)
		if !ok {
			return err
		}
		p, err := h.setupData(c, u, s, key)
		if err != nil {
			return err
		}
		return h.render(c, status, "staff/signin_setup", &view.Data{CSRF: s.CSRF, Page: p})
	}
	tok, full, err := h.Staff.CompleteSignIn(c.UserContext(), u, auth.Token(c))
	if err != nil {
		return err
	}
	h.cookies.SetSession(c, tok)
	auth.SetUser(c, u)
	return h.render(c, fiber.StatusOK, "staff/recovery", &view.Data{CSRF: full.CSRF, Page: recoveryPage{Codes: codes, Next: home(u)}})
}

func (h *Handler) signout(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	if err := h.Staff.EndSession(c.UserContext(), auth.Token(c)); err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.SignOut})
	h.cookies.ClearSession(c)
	return c.Redirect("/staff/signin", fiber.StatusSeeOther)
}

func (h *Handler) signoutAll(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	if err := h.Staff.EndAllSessions(c.UserContext(), u.ID); err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.SignOutAll})
	h.cookies.ClearSession(c)
	return c.Redirect("/staff/signin", fiber.StatusSeeOther)
}

func (h *Handler) audit(c *fiber.Ctx, e audit.Entry) {
	if h.Audit == nil {
		return
	}
	if err := h.Audit.Record(c.UserContext(), e); err != nil {
		h.Log.Error("staffui: audit", "action", e.Action, "err", err)
	}
}
