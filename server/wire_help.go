package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/helpui"
)

// The help room: know-your-rights pages and the social map.

func mountHelp(app *fiber.App, d *Deps) {
	(&helpui.Handler{Map: d.SocialMap, View: d.View, Catalog: d.Catalog, Log: d.Log}).Routes(app)
}
