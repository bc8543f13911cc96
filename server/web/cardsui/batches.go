package cardsui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/problem"
	"github.com/gehoord/gehoord/server/web/view"
)

// batchList shows every batch with what became of its cards.
func (h *Handler) batchList(c *fiber.Ctx) error {
	stats, err := h.Cards.Stats(c.UserContext())
	if err != nil {
		return err
	}
	return h.View.Render(c, fiber.StatusOK, "staff/cards_list", &view.Data{Lang: staffLang(c), Page: stats})
}

// newPage is what the form needs besides the typed values.
type newPage struct {
	Languages []string
	Variants  []variantView
	Areas     []string
	Max       int
}

type variantView struct {
	ID, Key, Line string
}

func (h *Handler) newPage(lang string) newPage {
	p := newPage{Languages: h.Languages, Max: cards.MaxCount, Areas: socialmap.Regions()}
	for _, m := range socialmap.Municipalities() {
		p.Areas = append(p.Areas, m.Name)
	}
	for _, v := range cards.Variants {
		p.Variants = append(p.Variants, variantView{ID: string(v), Key: v.NameKey(), Line: h.Catalog.T(lang, v.LineKey())})
	}
	return p
}

func (h *Handler) batchNew(c *fiber.Ctx) error {
	lang := staffLang(c)
	return h.View.Render(c, fiber.StatusOK, "staff/cards_new", &view.Data{Lang: lang, Page: h.newPage(lang),
		Form: map[string]string{"count": "50", "language": "nl", "variant": string(cards.VariantPlain)}})
}

func (h *Handler) batchCreate(c *fiber.Ctx) error {
	lang := staffLang(c)
	form := map[string]string{}
	for _, f := range []string{"label", "count", "language", "area", "variant"} {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	n, err := strconv.Atoi(form["count"])
	if err != nil {
		n = 0
	}
	b, err := h.Cards.Create(c.UserContext(), cards.NewBatch{
		Label: form["label"], Count: n, Language: form["language"], Area: form["area"], Variant: cards.Variant(form["variant"]),
	}, userID(c))
	if fields := fault.FieldsOf(err); len(fields) > 0 {
		errs := map[string]string{}
		for _, f := range fields {
			if _, ok := errs[f.Field]; !ok {
				errs[f.Field] = h.Catalog.T(lang, f.Key, f.Args...)
			}
		}
		return h.View.Render(c, problem.Status(fault.CodeOf(err)), "staff/cards_new",
			&view.Data{Lang: lang, Page: h.newPage(lang), Form: form, Errors: errs})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/staff/cards/"+b.ID, fiber.StatusSeeOther)
}

// batchPage is one batch with its codes.
type batchPage struct {
	Batch cards.Batch
	Codes []codeView
}

type codeView struct{ Code, Address string }

func (h *Handler) batch(c *fiber.Ctx) (*cards.Batch, error) {
	b, err := h.Cards.Get(c.UserContext(), c.Params("batch"))
	if errors.Is(err, cards.ErrNotFound) {
		return nil, fiber.ErrNotFound
	}
	return b, err
}

func (h *Handler) batchShow(c *fiber.Ctx) error {
	b, err := h.batch(c)
	if err != nil {
		return err
	}
	codes, err := h.Cards.Codes(c.UserContext(), b.ID)
	if err != nil {
		return err
	}
	p := batchPage{Batch: *b}
	for _, code := range codes {
		p.Codes = append(p.Codes, codeView{Code: code, Address: cards.ShortAddress(h.PublicURL, code)})
	}
	return h.View.Render(c, fiber.StatusOK, "staff/cards_batch", &view.Data{Lang: staffLang(c), Title: b.Label, Page: p})
}
