package staffui

import (
	"encoding/base64"
	"errors"
	"html/template"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/view"
)

// The password form is posted before any session exists; a double-submit
// cookie (SameSite=Strict, HttpOnly) protects it against login CSRF. Over
// TLS it is a __Host- cookie, which browsers store only with Secure, no
// Domain and Path=/ (with a narrower path they drop it, and no one could
// sign in). It lives for preMaxAge, renewed each time the form is shown,
// and is removed once the password step succeeds.
func (h *Handler) preCookieName() string {
	if h.Secure {
		return "__Host-gehoord_pre"
	}
	return "gehoord_pre"
}

const preMaxAge = 30 * 60 // seconds

func (h *Handler) preToken(c *fiber.Ctx) string {
	v := c.Cookies(h.preCookieName())
	if len(v) < 32 || len(v) > 64 {
		v = randomString()
	}
	c.Cookie(&fiber.Cookie{Name: h.preCookieName(), Value: v, Path: "/", MaxAge: preMaxAge, HTTPOnly: true,
		Secure: h.Secure, SameSite: fiber.CookieSameSiteStrictMode})
	return v
}

func (h *Handler) clearPreToken(c *fiber.Ctx) { h.deleteCookie(c, h.preCookieName()) }

// pending is the half-finished sign-in of this request at stage, or nil.
func pending(c *fiber.Ctx, stage string) *staff.Session {
	s, _ := c.Locals(localSession).(*staff.Session)
	if s == nil || s.Stage != stage {
		return nil
	}
	return s
}

func token(c *fiber.Ctx) string { t, _ := c.Locals(localToken).(string); return t }

type signinPage struct {
	Error string // catalog key
}

func (h *Handler) signinForm(c *fiber.Ctx) error {
	if CurrentUser(c) != nil {
		return c.Redirect(home(CurrentUser(c)), fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "staff/signin", &view.Data{CSRF: h.preToken(c), Page: signinPage{}})
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
	pre := c.Cookies(h.preCookieName())
	if pre == "" || !checkCSRF(c, pre) {
		// Nothing is tried; a form left open past preMaxAge gets a
		// fresh one.
		return h.render(c, fiber.StatusForbidden, "staff/signin",
			&view.Data{CSRF: h.preToken(c), Form: form, Page: signinPage{Error: "staff.signin.expired"}})
	}
	u, err := h.Staff.CheckPassword(c.UserContext(), email, c.FormValue("password"), h.ClientKey(c))
	switch {
	case errors.Is(err, staff.ErrRateLimited):
		return h.render(c, fiber.StatusTooManyRequests, "staff/signin",
			&view.Data{CSRF: h.preToken(c), Form: form, Page: signinPage{Error: "staff.signin.limited"}})
	case errors.Is(err, staff.ErrCredentials):
		return h.render(c, fiber.StatusUnprocessableEntity, "staff/signin",
			&view.Data{CSRF: h.preToken(c), Form: form, Page: signinPage{Error: "staff.signin.failed"}})
	case err != nil:
		return err
	}
	// Whatever session the browser had ends here; the next step gets a
	// fresh token.
	if old := c.Cookies(h.CookieName()); old != "" {
		_ = h.Staff.EndSession(c.UserContext(), old)
	}
	stage, next := nextStage(u)
	tok, _, err := h.Staff.StartSession(c.UserContext(), u.ID, stage)
	if err != nil {
		return err
	}
	h.setSessionCookie(c, tok)
	h.clearPreToken(c)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (h *Handler) codeForm(c *fiber.Ctx) error {
	s := pending(c, staff.StageCode)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, "staff/signin_code", &view.Data{CSRF: s.CSRF, Page: signinPage{}})
}

func (h *Handler) codeSubmit(c *fiber.Ctx) error {
	s := pending(c, staff.StageCode)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	if !checkCSRF(c, s.CSRF) {
		return fiber.NewError(fiber.StatusForbidden, "csrf")
	}
	u, err := h.Staff.Get(c.UserContext(), s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	err = h.Staff.SecondFactor(c.UserContext(), u, c.FormValue("code"), h.ClientKey(c))
	switch {
	case errors.Is(err, staff.ErrRateLimited):
		return h.render(c, fiber.StatusTooManyRequests, "staff/signin_code",
			&view.Data{CSRF: s.CSRF, Page: signinPage{Error: "staff.signin.limited"}})
	case errors.Is(err, staff.ErrCredentials):
		return h.render(c, fiber.StatusUnprocessableEntity, "staff/signin_code",
			&view.Data{CSRF: s.CSRF, Page: signinPage{Error: "staff.signin.code_wrong"}})
	case err != nil:
		return err
	}
	tok, _, err := h.Staff.CompleteSignIn(c.UserContext(), u, token(c))
	if err != nil {
		return err
	}
	h.setSessionCookie(c, tok)
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
	s := pending(c, staff.StageSetup)
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
	s := pending(c, staff.StageSetup)
	if s == nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	if !checkCSRF(c, s.CSRF) {
		return fiber.NewError(fiber.StatusForbidden, "csrf")
	}
	u, err := h.Staff.Get(c.UserContext(), s.UserID)
	if err != nil {
		return c.Redirect("/staff/signin", fiber.StatusSeeOther)
	}
	codes, err := h.Staff.ConfirmTOTPFor(c.UserContext(), u, s, c.FormValue("code"), h.ClientKey(c))
	if err != nil {
		status, key := fiber.StatusUnprocessableEntity, "staff.signin.code_wrong"
		if errors.Is(err, staff.ErrTOTPAlreadySet) {
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		} else if errors.Is(err, staff.ErrRateLimited) {
			status, key = fiber.StatusTooManyRequests, "staff.signin.limited"
		} else if !errors.Is(err, staff.ErrCredentials) {
			return err
		}
		p, err := h.setupData(c, u, s, key)
		if err != nil {
			return err
		}
		return h.render(c, status, "staff/signin_setup", &view.Data{CSRF: s.CSRF, Page: p})
	}
	tok, full, err := h.Staff.CompleteSignIn(c.UserContext(), u, token(c))
	if err != nil {
		return err
	}
	h.setSessionCookie(c, tok)
	c.Locals(localUser, u)
	c.Locals(localView, &view.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: u.Role})
	return h.render(c, fiber.StatusOK, "staff/recovery", &view.Data{CSRF: full.CSRF, Page: recoveryPage{Codes: codes, Next: home(u)}})
}

func (h *Handler) signout(c *fiber.Ctx) error {
	u := CurrentUser(c)
	if err := h.Staff.EndSession(c.UserContext(), token(c)); err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.SignOut})
	h.clearSessionCookie(c)
	return c.Redirect("/staff/signin", fiber.StatusSeeOther)
}

func (h *Handler) signoutAll(c *fiber.Ctx) error {
	u := CurrentUser(c)
	if err := h.Staff.EndAllSessions(c.UserContext(), u.ID); err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.SignOutAll})
	h.clearSessionCookie(c)
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
