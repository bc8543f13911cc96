package staffui

import (
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/problem"
	"github.com/gehoord/gehoord/server/web/view"
)

// Locals keys. "csrf" and "view_user" are read by view.Render.
const (
	localUser    = "staff_user"
	localSession = "staff_session"
	localToken   = "staff_token"
	localCSRF    = "csrf"
	localView    = "view_user"
	localLang    = "lang"
)

// CookieName is the session cookie; over TLS it carries the __Host- prefix
// (Secure, Path=/, no Domain: no subdomain can set or read it).
func (h *Handler) CookieName() string {
	if h.Secure {
		return "__Host-gehoord_staff"
	}
	return "gehoord_staff"
}

func (h *Handler) setSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: h.CookieName(), Value: token, Path: "/", HTTPOnly: true,
		Secure: h.Secure, SameSite: fiber.CookieSameSiteStrictMode})
}

func (h *Handler) clearSessionCookie(c *fiber.Ctx) { h.deleteCookie(c, h.CookieName()) }

// deleteCookie removes a cookie with the attributes it was set with (a
// __Host- cookie without them is refused, so it would stay). The date in
// the past does it: Fiber writes no Max-Age for a negative MaxAge.
func (h *Handler) deleteCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, Expires: time.Unix(0, 0),
		Secure: h.Secure, SameSite: fiber.CookieSameSiteStrictMode})
}

// LoadSession reads the session cookie on /staff and /api paths and puts
// the user in c.Locals (a session that is not fully signed in is kept for
// the sign-in steps only). Staff pages are never cached.
func (h *Handler) LoadSession(c *fiber.Ctx) error {
	p := c.Path()
	if !strings.HasPrefix(p, "/staff") && !strings.HasPrefix(p, "/api/") {
		return c.Next()
	}
	if strings.HasPrefix(p, "/staff") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	token := c.Cookies(h.CookieName())
	if token == "" {
		return c.Next()
	}
	sess, u, err := h.Staff.Session(c.UserContext(), token)
	if err != nil {
		if !errors.Is(err, staff.ErrNoSession) {
			return err
		}
		return c.Next()
	}
	c.Locals(localSession, sess)
	c.Locals(localToken, token)
	if sess.Stage == staff.StageFull {
		c.Locals(localUser, u)
		c.Locals(localCSRF, sess.CSRF)
		c.Locals(localView, &view.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: u.Role})
		c.Locals(localLang, u.Lang)
	}
	return c.Next()
}

// CurrentUser is the signed-in staff user, or nil.
func CurrentUser(c *fiber.Ctx) *staff.User {
	u, _ := c.Locals(localUser).(*staff.User)
	return u
}

// CSRFToken is the signed-in session's CSRF token ("" without one).
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localCSRF).(string)
	return s
}

func wantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/") ||
		strings.Contains(c.Get(fiber.HeaderAccept), "json") && !strings.Contains(c.Get(fiber.HeaderAccept), "html")
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// Require lets a request through only for a fully signed-in user with one
// of roles (any role when none are given). Without a session: HTML pages
// redirect to /staff/signin (303), the API answers 401 problem JSON. With
// the wrong role: 403. Every state-changing request must carry the
// session's CSRF token as form field "_csrf" or header "X-CSRF-Token",
// else 403.
func Require(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := CurrentUser(c)
		if u == nil {
			if wantsJSON(c) {
				return problem.New(c, fiber.StatusUnauthorized, "sign in as staff first")
			}
			if safeMethod(c.Method()) {
				return c.Redirect("/staff/signin", fiber.StatusSeeOther)
			}
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		}
		if len(roles) > 0 && !slices.Contains(roles, u.Role) {
			if wantsJSON(c) {
				return problem.New(c, fiber.StatusForbidden, "your role may not do this")
			}
			return fiber.ErrForbidden
		}
		if !safeMethod(c.Method()) && !checkCSRF(c, CSRFToken(c)) {
			if wantsJSON(c) {
				return problem.New(c, fiber.StatusForbidden, "missing or wrong CSRF token")
			}
			return fiber.NewError(fiber.StatusForbidden, "csrf")
		}
		return c.Next()
	}
}

func checkCSRF(c *fiber.Ctx, want string) bool {
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
