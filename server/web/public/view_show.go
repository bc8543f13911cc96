package public

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// view shows a page that works once; a second time (Reload, Back, another
// person on the same phone) it says only that the page is closed.
func (h *Handler) view(c *fiber.Ctx) error {
	v, ok, err := h.Views.Take(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	switch {
	case !ok:
	case v.Kind == viewReceipt:
		return h.showReceipt(c, v)
	case v.Kind == viewForm:
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/report",
			&view.Data{Lang: lang.Of(c), Page: theForm, Form: v.Form, Errors: h.translate(c, v.Errors), FieldOrder: reportFieldOrder})
	case v.Kind == viewStatus:
		return h.showStatus(c, v)
	case v.Kind == viewLookup:
		return h.page(c, fiber.StatusOK, "public/status", statusPage{Flash: v.Flash, Draft: v.Form["body"]})
	}
	return h.page(c, fiber.StatusGone, "public/gone", nil)
}

// redirect answers a POST of hers with a redirect to a page that shows the
// outcome once (POST-redirect-GET): Reload and Back never send her form
// again, and the address holds nothing but a random token.
func (h *Handler) redirect(c *fiber.Ctx, v View) error {
	tok, err := h.Views.Put(c.UserContext(), v, ViewTTL)
	if err != nil {
		return err
	}
	return c.Redirect("/"+lang.Of(c)+"/v/"+tok, fiber.StatusSeeOther)
}

func (h *Handler) translate(c *fiber.Ctx, keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for f, k := range keys {
		out[f] = h.Catalog.T(lang.Of(c), k)
	}
	return out
}
