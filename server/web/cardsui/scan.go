package cardsui

import (
	"errors"
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/i18n"
)

// scan is where a card's QR code leads: count the scan for the batch, then
// send her to the intake form with the card's code. The form opens in the
// language she chose (?lang=), else the batch's language. A code nobody
// issued, or a mistyped one, still leads to the form, only without a card:
// no error page, nothing that tells a bystander anything. Nothing about the
// visitor is logged or stored, and no cookie is set.
func (h *Handler) scan(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	code := cards.Normalize(c.Params("code"))
	lang := c.Query("lang")
	if !slices.Contains(h.Languages, lang) {
		lang = ""
	}
	card := ""
	if code != "" {
		var b *cards.Batch
		var ok bool
		var err error
		if c.Method() == fiber.MethodGet { // a HEAD (link preview, checker) counts nothing
			b, ok, err = h.Cards.Scan(c.UserContext(), code)
		} else {
			b, err = h.Cards.Card(c.UserContext(), code)
			ok = err == nil
			if !ok && errors.Is(err, cards.ErrNotFound) {
				err = nil
			}
		}
		switch {
		case err != nil:
			// The database failed her, not the card: keep the code, the
			// intake looks its batch up again. Log the failure, not the code.
			h.Log.Error("cards: scan not counted", "err", err)
			card = code
			if b != nil && lang == "" {
				lang = b.Language
			}
		case ok:
			card = code
			if lang == "" {
				lang = b.Language
			}
		}
	}
	if lang == "" {
		lang = i18n.Match(c.Get(fiber.HeaderAcceptLanguage), h.Languages)
	}
	to := "/" + lang + "/report"
	if card != "" {
		to += "?card=" + url.QueryEscape(card)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}
