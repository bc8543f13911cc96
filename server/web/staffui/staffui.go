// Package staffui serves the desk's staff pages: sign-in with a second
// factor, the inbox, the case file, themes, users and the audit log. The
// session loader and the role guard (auth.Require) are package auth's,
// installed by server.New before any route.
package staffui

import (
	"embed"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

//go:embed templates
var templates embed.FS

// Templates returns the staff page templates (staff/*.html) for view.New.
func Templates() fs.FS { return view.Sub(templates) }

// Handler serves the staff pages. Build it with New.
type Handler struct {
	Store   *store.Store
	Cases   *cases.Service
	Staff   *staff.Service
	Audit   *audit.Log
	View    *view.Renderer
	Catalog *i18n.Catalog
	Log     *slog.Logger
	// SocialMap, when set, offers matching organisations for a referral.
	SocialMap *socialmap.Service
	// Recorded, when set, names the outreach round and tablet of a case.
	Recorded RecordedFunc
	// Retention, when set, gives admins its dry run and "run now".
	Retention *cases.Retention
	// Secure: the desk is reached over TLS (cookies get Secure and the
	// __Host- prefix).
	Secure bool
	// ClientKey identifies the client for sign-in rate limits (only a keyed
	// hash of it is stored). Defaults to the remote address.
	ClientKey func(*fiber.Ctx) string
	Now       func() time.Time
	// ReportThreshold is the least count reports show (at least
	// reports.MinThreshold); PilotStart is where the dashboard's
	// cumulative figures begin (zero: 1 January of this year).
	ReportThreshold int
	PilotStart      time.Time

	cookies auth.Cookies
}

// New fills the defaults of h and returns it.
func New(h Handler) *Handler {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if h.ClientKey == nil {
		h.ClientKey = func(c *fiber.Ctx) string { return c.IP() }
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	h.cookies = auth.Cookies{Secure: h.Secure}
	return &h
}

// Routes mounts every staff page. The session must be loaded before them
// (auth.Sessions.Install, done by server.New).
func (h *Handler) Routes(app fiber.Router) {
	// Signing in and out.
	app.Get("/staff/signin", h.signinForm)
	app.Post("/staff/signin", h.signinPassword)
	app.Get("/staff/signin/code", h.codeForm)
	app.Post("/staff/signin/code", h.codeSubmit)
	app.Get("/staff/signin/setup", h.setupForm)
	app.Post("/staff/signin/setup", h.setupSubmit)
	app.Get("/staff/signin/password", h.newPasswordForm)
	app.Post("/staff/signin/password", h.newPasswordSubmit)
	app.Post("/staff/signout", auth.Require(), h.signout)
	app.Post("/staff/signout/all", auth.Require(), h.signoutAll)

	// Own account.
	app.Get("/staff/account", auth.Require(), h.account)
	app.Post("/staff/account/lang", auth.Require(), h.accountLang)
	app.Post("/staff/account/recovery", auth.Require(), h.accountRecovery)
	app.Post("/staff/account/password", auth.Require(), h.accountPassword)

	// Cases: admins, coordinators and handlers (handlers see their own and
	// unassigned ones; checked per case).
	cs := auth.Require(staff.RoleAdmin, staff.RoleCoordinator, staff.RoleHandler)
	app.Get("/staff", cs, h.inbox)
	app.Get("/staff/", cs, h.inbox)
	app.Get("/staff/cases/:id", cs, h.caseView)
	app.Post("/staff/cases/:id/assign", cs, h.caseAssign)
	app.Post("/staff/cases/:id/priority", cs, h.casePriority)
	app.Post("/staff/cases/:id/state", cs, h.caseState)
	app.Post("/staff/cases/:id/route", cs, h.caseRoute)
	app.Post("/staff/cases/:id/close", cs, h.caseClose)
	app.Post("/staff/cases/:id/message", cs, h.caseMessage)
	app.Post("/staff/cases/:id/note", cs, h.caseNote)
	app.Post("/staff/cases/:id/extend", cs, h.caseExtend)
	app.Post("/staff/cases/:id/referral", cs, h.referralPropose)
	app.Post("/staff/cases/:id/referrals/:rid", cs, h.referralStep)
	app.Get("/staff/referrals", cs, h.referrals)
	app.Post("/staff/cases/:id/contact", cs, h.caseContact)
	// Reopen decisions and themes are the coordinator's.
	co := auth.Require(staff.RoleAdmin, staff.RoleCoordinator)
	app.Post("/staff/cases/:id/reopen", co, h.caseReopen)
	app.Post("/staff/cases/:id/theme", co, h.caseTheme)
	app.Post("/staff/cases/:id/unlink", co, h.caseUnlink)
	app.Post("/staff/themes/link", co, h.themeLinkMany)

	// Themes.
	app.Get("/staff/themes", co, h.themes)
	app.Post("/staff/themes", co, h.themeCreate)
	app.Get("/staff/themes/:id", co, h.themeView)
	app.Post("/staff/themes/:id/note", co, h.themeNote)
	app.Get("/staff/themes/:id/answer", co, h.themeAnswerForm)
	app.Post("/staff/themes/:id/answer", co, h.themeAnswerSend)

	// Standard texts.
	app.Get("/staff/texts", co, h.texts)
	app.Post("/staff/texts", co, h.textAdd)
	app.Get("/staff/texts/:name", co, h.textView)
	app.Post("/staff/texts/:name", co, h.textSave)

	// Reports and the pilot's evaluation (see reports.go).
	app.Get("/staff/reports", co, h.reportsPage)
	app.Get("/staff/reports/export.csv", co, h.reportsCSV)
	app.Get("/staff/reports/themes/:id", co, h.themeReport)
	app.Get("/staff/reports/themes/:id/export.csv", co, h.themeReportCSV)
	app.Post("/staff/reports/themes/:id/summary", co, h.themeSummary)
	app.Get("/staff/reports/dashboard", co, h.dashboard)
	app.Get("/staff/reports/dashboard/export.csv", co, h.dashboardCSV)

	// Administration.
	ad := auth.Require(staff.RoleAdmin)
	app.Get("/staff/users", ad, h.users)
	app.Post("/staff/users", ad, h.userAdd)
	app.Post("/staff/users/:id/disable", ad, h.userDisable)
	app.Post("/staff/users/:id/enable", ad, h.userEnable)
	app.Post("/staff/users/:id/reset-totp", ad, h.userResetTOTP)
	app.Post("/staff/users/:id/reset", ad, h.userReset)
	app.Post("/staff/users/:id/role", ad, h.userRole)
	app.Get("/staff/audit", ad, h.auditLog)
	app.Get("/staff/retention", ad, h.retention)
	app.Post("/staff/retention/run", ad, h.retentionRun)
}

// lang is the language of the page: the user's own, else nl or en from
// Accept-Language.
func (h *Handler) lang(c *fiber.Ctx) string {
	if u := auth.CurrentUser(c); u != nil && slices.Contains(staff.Languages, u.Lang) {
		return u.Lang
	}
	// The list's own string, not the query's: the language outlives the
	// request in the renderer's per-language templates.
	if i := slices.Index(staff.Languages, c.Query("lang")); i >= 0 {
		return staff.Languages[i]
	}
	if l := c.AcceptsLanguages(staff.Languages...); l != "" {
		return l
	}
	return "nl"
}

func (h *Handler) t(c *fiber.Ctx, key string, args ...any) string {
	return h.Catalog.T(h.lang(c), key, args...)
}

// flashes are the short confirmations a redirect may ask for (?done=name);
// only these names are shown, so a link cannot put text on a staff page.
var flashes = []string{"saved", "sent", "assigned", "noted", "extended", "referred", "linked", "unlinked",
	"closed", "reopened", "state", "user_added", "user_changed", "totp_reset", "lang", "theme_added", "signed_out_all",
	"password", "user_reset", "retention_run"}

func (h *Handler) render(c *fiber.Ctx, status int, page string, d *view.Data) error {
	d.Lang = h.lang(c)
	if d.Flash == "" {
		if f := c.Query("done"); slices.Contains(flashes, f) {
			d.Flash = h.t(c, "staff.flash."+f)
		}
	}
	d.Languages = staff.Languages
	return h.View.Render(c, status, page, d)
}

// back redirects after a form (303, so a reload does not post again).
func back(c *fiber.Ctx, path, done string) error {
	if done != "" {
		if strings.Contains(path, "?") {
			path += "&done=" + done
		} else {
			path += "?done=" + done
		}
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortOptions(o []option) {
	sort.Slice(o, func(i, j int) bool { return o[i].Label < o[j].Label })
}
