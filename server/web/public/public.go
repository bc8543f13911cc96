// Package public serves the complainant's pages: home, intake form,
// receipt, status, privacy. Every page works without JavaScript, sets no
// cookie, and pages with her words are never cached.
package public

import (
	"embed"
	"io/fs"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// Templates are the public pages.
//
//go:embed templates
var templates embed.FS

// Templates returns the page templates for the renderer.
func Templates() fs.FS { return view.Sub(templates) }

// Handler serves the public pages.
type Handler struct {
	Cases   *cases.Service
	View    *view.Renderer
	Catalog *i18n.Catalog
	// StatusMisses limits wrong receipts per client.
	StatusMisses *ratelimit.Limiter
	// ClientKey identifies a client for rate limiting only, never stored.
	ClientKey func(c *fiber.Ctx) string
	// Work, when set, bounds the form posts running at once (the server's
	// gate for anonymous work).
	Work *gate.Gate
	// TakeReport, when set, counts a new report against the per-client
	// limit and the desk's hourly ceiling.
	TakeReport func(c *fiber.Ctx) (*ratelimit.Attempt, error)
	// Heard, when set, records her answer after closing.
	Heard func(c *fiber.Ctx, caseID string, yes bool, reason string) error
	// Views holds the pages that are shown once and the forms' tokens.
	Views *Views
	Log   *slog.Logger
	// RetentionDays is how long after closing names and contacts are
	// kept (the configured retention, shown on the privacy page);
	// ContentRetentionDays how long what she wrote and the messages are
	// (0: the configuration's default).
	RetentionDays        int
	ContentRetentionDays int
}

// Routes mounts the public pages: the map of the audience, each group
// named by the file that answers it. Every page but the root and the icon
// exists once per public language (/nl/report, /en/report, …), behind
// middleware.go's no-store, body limit and work gate.
func (h *Handler) Routes(r fiber.Router) {
	// home.go
	r.Get("/", h.root)
	r.Get("/icon.svg", icon)
	lang.Mount(r, func(p lang.Router) {
		// home.go, privacy.go
		p.Get("/", h.home)
		p.Get("/languages", h.languages)
		p.Get("/privacy", h.privacy)
		// report_form.go, report_submit.go, receipt.go
		p.Get("/report", h.reportForm)
		p.Post("/report", h.limitReports, h.reportSubmit)
		p.Get("/report/saved", h.savedPage)
		p.Post("/report/saved", h.reportSaved)
		// status.go, status_reply.go
		p.Get("/status", h.statusForm)
		p.Post("/status", h.statusLookup)
		p.Post("/status/reply", h.statusReply)
		p.Post("/status/heard", h.statusHeard)
		// view_show.go: where each of her posts redirects, shown once
		p.Get("/v/:token", h.view)
	}, h.noStore, h.limitBody, h.admit)
}

// page renders a public page in the page's language.
func (h *Handler) page(c *fiber.Ctx, status int, name string, page any) error {
	return h.View.Render(c, status, name, &view.Data{Lang: lang.Of(c), Page: page})
}
