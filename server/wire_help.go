package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/helpui"
)

// The help room: know-your-rights pages and the social map.

func wireHelp(ctx context.Context, d *Deps) error {
	d.SocialMap = socialmap.NewService(d.Store)
	return d.SocialMap.EnsureIndexes(ctx)
}

func mountHelp(app *fiber.App, d *Deps) error {
	(&helpui.Handler{Map: d.SocialMap, View: d.View, Catalog: d.Catalog, Log: d.Log}).Routes(app)
	return nil
}
