// Package pushui is the web side of staff notifications: the VAPID key and
// subscription API, the staff page /staff/notifications, the staff service
// worker /staff/sw.js and the staff web app manifest.
package pushui

import (
	"embed"
	"io/fs"
	"log/slog"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

//go:embed templates
var templates embed.FS

// Templates are the page templates (staff/notifications).
func Templates() fs.FS { return view.Sub(templates) }

// Handler holds what the push pages need.
type Handler struct {
	Push    *push.Service
	View    *view.Renderer
	Catalog *i18n.Catalog
	Assets  *view.Assets
	Log     *slog.Logger
}

// New checks the dependencies and returns the handler.
func New(h Handler) (*Handler, error) {
	if h.Push == nil || h.View == nil || h.Catalog == nil || h.Assets == nil {
		return nil, fiber.NewError(fiber.StatusInternalServerError, "pushui: Push, View, Catalog and Assets are required")
	}
	if h.Log == nil {
		h.Log = slog.Default()
	}
	return &h, nil
}

// Routes mounts the push routes. The staff session must be loaded before
// (auth.Sessions.Install, done by server.New).
func (h *Handler) Routes(r fiber.Router) {
	// API (contract): the key is public, subscriptions need a staff session.
	r.Get("/api/v1/push/key", h.key)
	r.Post("/api/v1/push/subscriptions", auth.Require(), h.subscribe)
	r.Delete("/api/v1/push/subscriptions", auth.Require(), h.unsubscribe)

	// The staff page: turn on, devices, preference.
	r.Get("/staff/notifications", auth.Require(), h.page)
	r.Post("/staff/notifications/preference", auth.Require(), h.preference)
	r.Post("/staff/notifications/devices/:id/remove", auth.Require(), h.removeDevice)

	// The service worker and the web app manifest hold nothing personal and
	// must load without a session (the browser updates the worker by itself).
	r.Get("/staff/sw.js", h.serviceWorker)
	r.Get("/staff/manifest.webmanifest", h.manifest)
}

// lang is the staff member's language (nl or en).
func lang(c *fiber.Ctx) string {
	if u := auth.CurrentUser(c); u != nil && slices.Contains(staff.Languages, u.Lang) {
		return u.Lang
	}
	if l := c.AcceptsLanguages(staff.Languages...); l != "" {
		return l
	}
	return "nl"
}
