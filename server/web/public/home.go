package public

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// root sends her to the home page in the language her browser asks for.
func (h *Handler) root(c *fiber.Ctx) error {
	l := i18n.Match(c.Get(fiber.HeaderAcceptLanguage), lang.Public)
	c.Set(fiber.HeaderVary, "Accept-Language")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/"+l+"/", fiber.StatusFound)
}

// neutralIcon is the public pages' icon: a plain dot, nothing that names
// the desk in a tab list.
const neutralIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="#777"/></svg>`

// icon is served no-store on purpose, and the layout names it under a new
// address on every page so the browser fetches it every time: Chromium
// keeps no page in its back/forward cache that received a no-store answer
// after loading, so Back asks the server again even with JavaScript off
// (with JavaScript, exit.js also reloads a page that comes back).
func icon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(neutralIcon)
}

func (h *Handler) home(c *fiber.Ctx) error {
	return h.View.Shared(c, "public/home", &view.Data{Lang: lang.Of(c)}, nil)
}

func (h *Handler) languages(c *fiber.Ctx) error {
	return h.View.Shared(c, "public/choose", &view.Data{Lang: lang.Of(c)}, nil)
}
