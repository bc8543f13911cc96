// Package appui serves the outreach app and its API: the app's files under
// /app/ (the service worker with a cache version computed from the files),
// its catalog and configuration, device registration, the sync endpoint,
// and the admins' device list under /staff/devices.
package appui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/assets"
	"github.com/gehoord/gehoord/pwa"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/web/view"
)

//go:embed templates
var templates embed.FS

// Templates returns the staff page templates (staff/devices.html).
func Templates() fs.FS { return view.Sub(templates) }

// CatalogPrefixes are the catalog parts the app needs: its own texts and
// the public form's, so the intake reads exactly like the public form.
var CatalogPrefixes = []string{"_.", "app.", "form.", "kind.", "category.", "group.", "wish.", "setting.", "identity.", "receipt.", "error.field."}

// Handler serves the app. Build it with New.
type Handler struct {
	Devices *outreach.Devices
	Syncer  *outreach.Syncer
	Catalog *i18n.Catalog
	View    *view.Renderer
	Log     *slog.Logger
	// ClientKey identifies the caller for sign-in rate limits.
	ClientKey func(*fiber.Ctx) string
	// Staff guards the device pages: auth.Require("admin"). CurrentUser
	// returns the signed-in staff member (id, name, e-mail, role, language)
	// and CSRF the session's token, for the page.
	Staff       fiber.Handler
	CurrentUser func(*fiber.Ctx) (u *view.User, lang string)
	CSRF        func(*fiber.Ctx) string
	// UserName names the staff member a device belongs to; Audit records a
	// revocation in the audit log. Both optional.
	UserName UserNamer
	Audit    func(c *fiber.Ctx, deviceID string)
	Now      func() time.Time
	// DeskKey is the desk's public key the tablets seal each item to
	// (seal.Desk.PublicKey); nil when sealing is not set up.
	DeskKey func() (kid string, key []byte)
	// SentKeep is how long a tablet keeps a sent item's list entry, in
	// whole hours (config GEHOORD_APP_SENT_KEEP_HOURS, default 12); zero
	// drops it as soon as the unlocked app tidies its list (after a send,
	// or at unlock).
	SentKeep time.Duration

	files   map[string]*file // by URL path
	version string
}

type file struct {
	body  []byte
	ctype string
	etag  string
}

// New checks the dependencies and builds the app shell once.
func New(h Handler) (*Handler, error) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if h.ClientKey == nil {
		h.ClientKey = func(c *fiber.Ctx) string { return c.IP() }
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.SentKeep < 0 {
		h.SentKeep = 0
	}
	if err := h.buildShell(); err != nil {
		return nil, err
	}
	return &h, nil
}

// Shell lists the precached URLs (the service worker's SHELL) in order.
func (h *Handler) Shell() []string {
	urls := make([]string, 0, len(h.files))
	for u := range h.files {
		if u != swPath {
			urls = append(urls, u)
		}
	}
	sort.Strings(urls)
	return urls
}

const swPath = "/app/sw.js"

func typeOf(name string) string {
	if strings.HasSuffix(name, "/") {
		return "text/html; charset=utf-8"
	}
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	case ".webmanifest":
		return "application/manifest+json"
	case ".svg":
		return "image/svg+xml"
	}
	return mime.TypeByExtension(path.Ext(name))
}

func (h *Handler) add(url string, body []byte) {
	sum := sha256.Sum256(body)
	h.files[url] = &file{body: body, ctype: typeOf(url), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

func (h *Handler) buildShell() error {
	h.files = map[string]*file{}
	err := fs.WalkDir(pwa.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "sw.js" {
			return err
		}
		b, err := fs.ReadFile(pwa.FS, p)
		if err != nil {
			return err
		}
		if p == "index.html" {
			// The app's one page lives at the scope itself: no redirect, so
			// the cached copy is found under the URL the browser asks for.
			h.add("/app/", b)
			return nil
		}
		h.add("/app/"+p, b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("appui: read app files: %w", err)
	}
	icons, err := fs.Glob(assets.FS, "icons/app*")
	if err != nil || len(icons) == 0 {
		return fmt.Errorf("appui: no app icons in assets/icons (%v)", err)
	}
	for _, p := range icons {
		b, err := fs.ReadFile(assets.FS, p)
		if err != nil {
			return fmt.Errorf("appui: read %s: %w", p, err)
		}
		h.add("/app/"+p, b)
	}
	langs := h.languages()
	cfg, err := json.Marshal(h.config(langs))
	if err != nil {
		return err
	}
	h.add("/app/config.json", cfg)
	for _, l := range langs {
		b, err := json.Marshal(h.Catalog.Messages(l, CatalogPrefixes...))
		if err != nil {
			return err
		}
		h.add("/app/i18n/"+l+".json", b)
	}

	// The version is a hash of every shell file, so any change installs a
	// new cache; the list itself is part of the worker, so it is exact.
	sum := sha256.New()
	shell := h.Shell()
	for _, u := range shell {
		fmt.Fprintf(sum, "%s\x00%s\x00", u, h.files[u].etag)
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:16]
	sw, err := fs.ReadFile(pwa.FS, "sw.js")
	if err != nil {
		return err
	}
	list, _ := json.Marshal(shell)
	src := string(sw)
	if !strings.Contains(src, "%%VERSION%%") || !strings.Contains(src, "[/*SHELL*/]") {
		return fmt.Errorf("appui: sw.js lacks its placeholders")
	}
	src = strings.Replace(src, "%%VERSION%%", h.version, 1)
	src = strings.Replace(src, "[/*SHELL*/]", string(list), 1)
	h.add(swPath, []byte(src))
	return nil
}

// languages are the public languages that have a catalog.
func (h *Handler) languages() []string {
	var out []string
	for _, l := range cases.PublicLanguages {
		if h.Catalog.HasLanguage(l) {
			out = append(out, l)
		}
	}
	return out
}

type appConfig struct {
	Kinds         []string       `json:"kinds"`
	Groups        []string       `json:"groups"`
	Categories    []appCategory  `json:"categories"`
	Settings      []string       `json:"settings"`
	Wishes        []string       `json:"wishes"`
	IdentityModes []string       `json:"identity_modes"`
	Reporters     []string       `json:"reporters"`
	Languages     []appLanguage  `json:"languages"`
	Max           map[string]int `json:"max"`
	Sync          map[string]int `json:"sync"`
	// SentKeepHours: how long the tablet keeps the list entry (time, her
	// language) of a sent item under the passphrase.
	SentKeepHours int `json:"sent_keep_hours"`

	// Municipalities a report or round may name, besides "unknown" and
	// "online": precached with the app, so the choice works offline.
	Municipalities []cases.MunicipalityChoice `json:"municipalities"`
}

type appCategory struct {
	ID    string `json:"id"`
	Group string `json:"group"`
}

type appLanguage struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// config is the lists the form offers, from the same source the server
// validates against.
func (h *Handler) config(langs []string) appConfig {
	c := appConfig{
		Kinds: cases.Kinds, Groups: cases.Groups, Settings: cases.Settings, Wishes: cases.Wishes,
		IdentityModes: cases.IdentityModes, Reporters: cases.Reporters,
		Max:           map[string]int{"description": cases.MaxDescription, "short": cases.MaxShort},
		Sync:          map[string]int{"max_items": outreach.MaxBatch},
		SentKeepHours: int(h.SentKeep / time.Hour),
	}
	c.Municipalities = cases.MunicipalityChoices()
	for _, cat := range cases.Categories {
		c.Categories = append(c.Categories, appCategory{ID: cat.ID, Group: cat.Group})
	}
	for _, l := range langs {
		c.Languages = append(c.Languages, appLanguage{Code: l, Name: h.Catalog.Name(l)})
	}
	return c
}

// Routes mounts the app, its API and the device pages.
func (h *Handler) Routes(app fiber.Router) {
	// The app: one page, its files, the service worker.
	app.Get("/app", func(c *fiber.Ctx) error {
		// Routing is not strict: "/app" also matches "/app/".
		if c.Path() == "/app" {
			return c.Redirect("/app/", fiber.StatusMovedPermanently)
		}
		return h.serveFile(c)
	})
	app.Get("/app/*", h.serveFile)

	// API for the app.
	app.Post("/api/v1/outreach/devices", h.deviceRegister)
	app.Post("/api/v1/outreach/sync", h.syncPost)
	app.Delete("/api/v1/outreach/device", h.deviceDelete)
	app.Get("/api/v1/outreach/desk-key", h.deskKey)

	// Admins: the registered tablets.
	if h.Staff != nil && h.View != nil {
		app.Get("/staff/devices", h.Staff, h.deviceList)
		app.Post("/staff/devices/:id/revoke", h.Staff, h.deviceRevoke)
	}
}

func (h *Handler) serveFile(c *fiber.Ctx) error {
	p := c.Path()
	f, ok := h.files[p]
	if !ok {
		return fiber.ErrNotFound
	}
	// Always revalidate: the service worker is the app's offline cache, and
	// the browser's HTTP cache must not hand it a stale file at update time.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, f.etag)
	if p == swPath {
		c.Set("Service-Worker-Allowed", "/app/")
	}
	if slices.Contains(strings.Split(c.Get(fiber.HeaderIfNoneMatch), ", "), f.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(f.body)
}
