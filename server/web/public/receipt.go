package public

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

type receiptPage struct{ Receipt, Reference, Token string }

func (h *Handler) showReceipt(c *fiber.Ctx, v View) error {
	// The "I have saved it" form names the receipt by a token, so the
	// receipt is in no form the browser could keep or send again.
	tok, err := h.Views.Put(c.UserContext(), View{Kind: tokenSaved, Receipt: v.Receipt, Reference: v.Reference}, ActionTTL)
	if err != nil {
		return err
	}
	return h.View.Render(c, fiber.StatusOK, "public/receipt", &view.Data{Lang: lang.Of(c),
		Page: receiptPage{Receipt: v.Receipt, Reference: v.Reference, Token: tok}, Errors: h.translate(c, v.Errors)})
}

func (h *Handler) reportSaved(c *fiber.Ctx) error {
	tok := c.FormValue("t")
	v, ok, err := h.Views.Peek(c.UserContext(), tok, tokenSaved)
	if err != nil {
		return err
	}
	if ok && c.FormValue("saved") != "yes" {
		return h.redirect(c, View{Kind: viewReceipt, Receipt: v.Receipt, Reference: v.Reference,
			Errors: map[string]string{"saved": "receipt.confirm_needed"}})
	}
	if ok {
		if err := h.Views.Drop(c.UserContext(), tok); err != nil {
			return err
		}
	}
	return c.Redirect("/"+lang.Of(c)+"/report/saved", fiber.StatusSeeOther)
}

func (h *Handler) savedPage(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, "public/saved", nil)
}
