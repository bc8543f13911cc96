// Package cardsui serves the QR cards: the public landing a card's code
// leads to (GET /c/:code), and the coordinators' pages under /staff/cards to
// make batches, print sheets of cards and show one card full-screen.
package cardsui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/web/view"
)

//go:embed templates
var templates embed.FS

// Templates returns the page templates (staff/cards_*.html,
// print/cards_*.html) for view.New.
func Templates() fs.FS { return view.Sub(templates) }

// Handler serves the card pages. Build it with New.
type Handler struct {
	Cards   *cards.Service
	View    *view.Renderer
	Catalog *i18n.Catalog
	// PublicURL is the desk's base URL (GEHOORD_PUBLIC_URL), printed on cards.
	PublicURL string
	// Languages are the public languages (a card's language is one of them).
	Languages []string
	// Require guards staff routes by role: auth.Require.
	Require func(roles ...string) fiber.Handler
	Log     *slog.Logger
}

// New fills the defaults of h and returns it.
func New(h Handler) *Handler {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if len(h.Languages) == 0 {
		h.Languages = cards.DefaultLanguages
	}
	return &h
}

// Who may do what.
var (
	coordinators = []string{"coordinator", "admin"}
	// Outreach workers show a card on their tablet during a round.
	showers = []string{"coordinator", "admin", "outreach"}
)

// Routes mounts the public card landing and the staff card pages. The staff
// session must be loaded before (auth.Sessions.Install, done by server.New).
func (h *Handler) Routes(r fiber.Router) {
	// Public: where a card's QR code leads.
	r.Get("/c/:code", h.scan)
	r.Get("/c", h.scan) // an address typed without its code still finds the form

	// Staff: one card full-screen, and its QR code as a PNG.
	r.Get("/staff/cards/card/:code", h.Require(showers...), h.cardShow)
	r.Get("/staff/cards/card/:code/qr.png", h.Require(showers...), h.cardPNG)

	// Staff: batches.
	r.Get("/staff/cards", h.Require(coordinators...), h.batchList)
	r.Get("/staff/cards/new", h.Require(coordinators...), h.batchNew)
	r.Post("/staff/cards", h.Require(coordinators...), h.batchCreate)
	r.Get("/staff/cards/:batch", h.Require(coordinators...), h.batchShow)
	r.Get("/staff/cards/:batch/print", h.Require(coordinators...), h.batchPrint)
}

// staffLang is the signed-in user's language (auth puts it in "lang").
func staffLang(c *fiber.Ctx) string {
	if l, ok := c.Locals("lang").(string); ok && slices.Contains(i18n.StaffLanguages, l) {
		return l
	}
	return i18n.Match(c.Get(fiber.HeaderAcceptLanguage), i18n.StaffLanguages)
}

func userID(c *fiber.Ctx) string {
	if u, ok := c.Locals("view_user").(*view.User); ok && u != nil {
		return u.ID
	}
	return ""
}

// cardView is one card as the templates draw it.
type cardView struct {
	Code    string
	URL     string
	Address string
	QR      template.HTML
	Lang    string
	Lines   []line
	Receipt line // the label of the box for her number
}

type line struct{ Lang, Text string }

// card builds what a card shows: the QR code, the address typed out, the
// variant's line in the card's language, then in Dutch and in English. A
// language that lacks the line falls back to English (and the English line
// is then not printed twice).
func (h *Handler) card(b *cards.Batch, code string) (cardView, error) {
	u := cards.URL(h.PublicURL, code)
	q, err := cards.Encode(u)
	if err != nil {
		return cardView{}, err
	}
	addr := cards.ShortAddress(h.PublicURL, code)
	key := b.Variant.LineKey()
	lang := b.Language
	if !h.Catalog.Has(lang, key) {
		lang = "en"
	}
	v := cardView{
		Code: code, URL: u, Address: addr, Lang: lang,
		// The SVG holds only numbers and the escaped address.
		QR: template.HTML(q.SVG(addr)),
	}
	for _, l := range []string{lang, "nl", "en"} {
		if slices.ContainsFunc(v.Lines, func(x line) bool { return x.Lang == l }) {
			continue
		}
		v.Lines = append(v.Lines, line{Lang: l, Text: h.Catalog.T(l, key)})
	}
	rl := lang
	if !h.Catalog.Has(rl, "cards.line.number") {
		rl = "en"
	}
	v.Receipt = line{Lang: rl, Text: h.Catalog.T(rl, "cards.line.number")}
	return v, nil
}
