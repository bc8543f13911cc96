// Package auth is staff sign-in as every audience sees it: the session
// and sign-in cookies, the session loader, the CSRF check, the role guard
// (Require) and the audit of refused requests. server.New installs it
// (Sessions.Install) before any audience's routes, so every route group
// finds the session loaded whatever order the groups are mounted in.
// The sign-in pages themselves are staffui's.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
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

// Sessions loads the staff session of each /staff and /api request and
// records the refused ones. Install it with Install.
type Sessions struct {
	Staff *staff.Service
	// Audit, when set, records every refused staff request (403).
	Audit *audit.Log
	Log   *slog.Logger
	// Secure: the desk is reached over TLS (cookies get Secure and the
	// __Host- prefix).
	Secure bool
}

// Install puts the session loader and the audit of refusals in front of
// every route registered on r after it.
func (s *Sessions) Install(r fiber.Router) {
	r.Use(s.Load)
	r.Use(s.auditDenied)
}

// Load reads the session cookie on /staff and /api paths and puts the
// user in c.Locals (a session that is not fully signed in is kept for the
// sign-in steps only). Staff pages are never cached.
func (s *Sessions) Load(c *fiber.Ctx) error {
	p := c.Path()
	if !strings.HasPrefix(p, "/staff") && !strings.HasPrefix(p, "/api/") {
		return c.Next()
	}
	if strings.HasPrefix(p, "/staff") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	token := c.Cookies(Cookies{Secure: s.Secure}.SessionName())
	if token == "" {
		return c.Next()
	}
	sess, u, err := s.Staff.Session(c.UserContext(), token)
	if err != nil {
		if !errors.Is(err, staff.ErrNoSession) {
			return err
		}
		return c.Next()
	}
	c.Locals(localSession, sess)
	c.Locals(localToken, token)
	if sess.Stage == staff.StageFull {
		SetUser(c, u)
		c.Locals(localCSRF, sess.CSRF)
		c.Locals(localLang, u.Lang)
	}
	return c.Next()
}

// auditDenied writes every refused staff request (403) to the audit log:
// who, which route (its pattern, never a typed value) and which case.
func (s *Sessions) auditDenied(c *fiber.Ctx) error {
	err := c.Next()
	p := c.Path()
	if !strings.HasPrefix(p, "/staff") && !strings.HasPrefix(p, "/api/") {
		return err
	}
	status := c.Response().StatusCode()
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	if status != fiber.StatusForbidden || s.Audit == nil {
		return err
	}
	u := CurrentUser(c)
	if u == nil && strings.HasPrefix(p, "/api/") {
		return err // the public API: no staff request
	}
	e := audit.Entry{Action: audit.AccessDenied, Detail: c.Method() + " " + c.Route().Path}
	if u != nil {
		e.UserID = u.ID
	}
	if strings.HasPrefix(c.Route().Path, "/staff/cases/:id") {
		e.CaseID = strings.Clone(c.Params("id"))
	}
	if rerr := s.Audit.Record(c.UserContext(), e); rerr != nil {
		log := s.Log
		if log == nil {
			log = slog.Default()
		}
		log.Error("auth: audit", "action", e.Action, "err", rerr)
	}
	return err
}

// CurrentUser is the signed-in staff user, or nil.
func CurrentUser(c *fiber.Ctx) *staff.User {
	u, _ := c.Locals(localUser).(*staff.User)
	return u
}

// SetUser makes u the signed-in user of this request (the loader does it;
// the last sign-in step does it for the page it shows at once).
func SetUser(c *fiber.Ctx, u *staff.User) {
	c.Locals(localUser, u)
	c.Locals(localView, &view.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: u.Role})
}

// CSRFToken is the signed-in session's CSRF token ("" without one).
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localCSRF).(string)
	return s
}

// Pending is the half-finished sign-in of this request at stage, or nil.
func Pending(c *fiber.Ctx, stage string) *staff.Session {
	s, _ := c.Locals(localSession).(*staff.Session)
	if s == nil || s.Stage != stage {
		return nil
	}
	return s
}

// Token is the session token of this request ("" without a session).
func Token(c *fiber.Ctx) string { t, _ := c.Locals(localToken).(string); return t }

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
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		}
		if len(roles) > 0 && !slices.Contains(roles, u.Role) {
			if wantsJSON(c) {
				return problem.New(c, fiber.StatusForbidden, "your role may not do this")
			}
			return fiber.ErrForbidden
		}
		if !safeMethod(c.Method()) && !CheckCSRF(c, CSRFToken(c)) {
			if wantsJSON(c) {
				return problem.New(c, fiber.StatusForbidden, "missing or wrong CSRF token")
			}
			return fiber.NewError(fiber.StatusForbidden, "csrf")
		}
		return c.Next()
	}
}

// CheckCSRF: the request carries want as header "X-CSRF-Token" or form
// field "_csrf" (compared in constant time; an empty want never matches).
func CheckCSRF(c *fiber.Ctx, want string) bool {
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Cookies names and writes the staff cookies. Over TLS they carry the
// __Host- prefix (Secure, Path=/, no Domain: no subdomain can set or read
// them).
type Cookies struct{ Secure bool }

// SessionName is the session cookie's name.
func (k Cookies) SessionName() string {
	if k.Secure {
		return "__Host-gehoord_staff"
	}
	return "gehoord_staff"
}

// SetSession gives the browser the session token.
func (k Cookies) SetSession(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: k.SessionName(), Value: token, Path: "/", HTTPOnly: true,
		Secure: k.Secure, SameSite: fiber.CookieSameSiteStrictMode})
}

// ClearSession removes the session cookie.
func (k Cookies) ClearSession(c *fiber.Ctx) { k.delete(c, k.SessionName()) }

// The password form is posted before any session exists; a double-submit
// cookie (SameSite=Strict, HttpOnly) protects it against login CSRF. Over
// TLS it is a __Host- cookie, which browsers store only with Secure, no
// Domain and Path=/ (with a narrower path they drop it, and no one could
// sign in). It lives for preMaxAge, renewed each time the form is shown,
// and is removed once the password step succeeds.
func (k Cookies) preName() string {
	if k.Secure {
		return "__Host-gehoord_pre"
	}
	return "gehoord_pre"
}

const preMaxAge = 30 * 60 // seconds

// PreToken is the sign-in form's CSRF token: the one the browser holds,
// or a new one; either way the cookie is (re)set for preMaxAge.
func (k Cookies) PreToken(c *fiber.Ctx) string {
	v := c.Cookies(k.preName())
	if len(v) < 32 || len(v) > 64 {
		v = randomString()
	}
	c.Cookie(&fiber.Cookie{Name: k.preName(), Value: v, Path: "/", MaxAge: preMaxAge, HTTPOnly: true,
		Secure: k.Secure, SameSite: fiber.CookieSameSiteStrictMode})
	return v
}

// CheckPre: the sign-in form was posted with the token of its cookie.
func (k Cookies) CheckPre(c *fiber.Ctx) bool {
	pre := c.Cookies(k.preName())
	return pre != "" && CheckCSRF(c, pre)
}

// ClearPre removes the sign-in form's cookie.
func (k Cookies) ClearPre(c *fiber.Ctx) { k.delete(c, k.preName()) }

// delete removes a cookie with the attributes it was set with (a __Host-
// cookie without them is refused, so it would stay). The date in the past
// does it: Fiber writes no Max-Age for a negative MaxAge.
func (k Cookies) delete(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, Expires: time.Unix(0, 0),
		Secure: k.Secure, SameSite: fiber.CookieSameSiteStrictMode})
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
