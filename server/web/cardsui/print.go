package cardsui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/web/view"
)

// sheetPage is a batch laid out on A4 sheets of cards.CardsOnPage cards.
type sheetPage struct {
	Batch  cards.Batch
	Sheets [][]cardView
}

// batchPrint renders the print sheets of a batch and marks it printed.
func (h *Handler) batchPrint(c *fiber.Ctx) error {
	b, err := h.batch(c)
	if err != nil {
		return err
	}
	codes, err := h.Cards.Codes(c.UserContext(), b.ID)
	if err != nil {
		return err
	}
	p := sheetPage{Batch: *b}
	for i, code := range codes {
		v, err := h.card(b, code)
		if err != nil {
			return err
		}
		if i%cards.CardsOnPage == 0 {
			p.Sheets = append(p.Sheets, nil)
		}
		p.Sheets[len(p.Sheets)-1] = append(p.Sheets[len(p.Sheets)-1], v)
	}
	if err := h.Cards.MarkPrinted(c.UserContext(), b.ID); err != nil {
		return err
	}
	return h.View.Render(c, fiber.StatusOK, "print/cards_sheet", &view.Data{Lang: staffLang(c), Title: b.Label, Page: p})
}

// cardShow shows one card full-screen, for scanning from a tablet.
func (h *Handler) cardShow(c *fiber.Ctx) error {
	b, err := h.Cards.Card(c.UserContext(), c.Params("code"))
	if errors.Is(err, cards.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	v, err := h.card(b, cards.Normalize(c.Params("code")))
	if err != nil {
		return err
	}
	return h.View.Render(c, fiber.StatusOK, "print/cards_show", &view.Data{Lang: staffLang(c), Page: v})
}

// cardPNG serves a card's QR code as a 1-bit PNG of at least 1200 pixels:
// 25 mm at over 1200 dpi, for print shops that want an image.
func (h *Handler) cardPNG(c *fiber.Ctx) error {
	code := cards.Normalize(c.Params("code"))
	b, err := h.Cards.Card(c.UserContext(), code)
	if errors.Is(err, cards.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	q, err := cards.Encode(cards.URL(h.PublicURL, code))
	if err != nil {
		return err
	}
	png, err := q.PNG(1200)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+b.ID+"-"+code+`.png"`)
	return c.Send(png)
}
