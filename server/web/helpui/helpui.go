// Package helpui serves "help near you" (/{lang}/help, the public face of
// the social map), the know-your-rights pages (/{lang}/rights) and the
// coordinator's social-map pages under /staff/socialmap.
package helpui

import (
	"embed"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

//go:embed templates
var templates embed.FS

// Templates returns the page templates for the renderer.
func Templates() fs.FS { return view.Sub(templates) }

// Handler serves the help, rights and social-map pages.
type Handler struct {
	Map     *socialmap.Service
	View    *view.Renderer
	Catalog *i18n.Catalog
	Log     *slog.Logger
	// Guard protects /staff/socialmap; nil means
	// auth.Require("coordinator", "admin").
	Guard fiber.Handler
}

// Routes mounts the public and the staff pages.
func (h *Handler) Routes(r fiber.Router) {
	// Public, once per public language (/nl/help, /en/help, …).
	lang.Mount(r, func(p lang.Router) {
		p.Get("/help", h.helpShow)
		p.Get("/rights", h.rightsIndex)
		p.Get("/rights/:topic", h.rightsShow)
	})

	// Coordinator's social map.
	guard := h.Guard
	if guard == nil {
		guard = auth.Require("coordinator", "admin")
	}
	s := r.Group("/staff/socialmap", guard)
	s.Get("/", h.mapList)
	s.Get("/new", h.mapNew)
	s.Post("/new", h.mapCreate)
	s.Get("/export.csv", h.mapExport)
	s.Get("/sample.csv", h.mapSample)
	s.Get("/import", h.mapImportForm)
	s.Post("/import", h.mapImport)
	s.Get("/:key/edit", h.mapEdit)
	s.Post("/:key/edit", h.mapUpdate)
	s.Post("/:key/retire", h.mapRetire)
}

// staffLang is the signed-in user's language when it is a staff language.
func staffLang(c *fiber.Ctx) string {
	if l, ok := c.Locals("lang").(string); ok && slices.Contains(i18n.StaffLanguages, l) {
		return l
	}
	return "nl"
}

// topicKeys lists the catalog label of every topic, spelled out so the
// catalog tests find each key in the code.
var topicKeys = map[string]string{
	"legal":     "help.topic.legal",
	"health":    "help.topic.health",
	"housing":   "help.topic.housing",
	"money":     "help.topic.money",
	"work":      "help.topic.work",
	"safety":    "help.topic.safety",
	"exit":      "help.topic.exit",
	"migration": "help.topic.migration",
	"listening": "help.topic.listening",
	"lgbt":      "help.topic.lgbt",
}

// Option is one choice of a select or checkbox group: its value and the
// catalog key of its label.
type Option struct {
	Value string
	Label string
}

func topicOptions() []Option {
	out := make([]Option, 0, len(topicKeys))
	for _, t := range socialmap.Topics() {
		out = append(out, Option{Value: t, Label: topicKeys[t]})
	}
	return out
}

// Lang is a language an organisation speaks, named in itself.
type Lang struct {
	Code string
	Name string
}

// languageNames names each code in its own language ("ro" -> "Română"),
// so a worker recognises hers whatever the page language is.
func languageNames(codes []string) []Lang {
	out := make([]Lang, 0, len(codes))
	for _, c := range codes {
		name := display.Self.Name(language.Make(c))
		if name == "" {
			name = c
		}
		r, n := utf8.DecodeRuneInString(name)
		out = append(out, Lang{Code: c, Name: string(unicode.ToUpper(r)) + name[n:]})
	}
	return out
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
