package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/cardsui"
)

// The cards room: QR-card batches, the /c/{code} landing, and the
// coordinators' pages to make, print and show cards.

func mountCards(app *fiber.App, d *Deps) {
	cardsui.New(cardsui.Handler{
		Cards: d.Cards, View: d.View, Catalog: d.Catalog, PublicURL: d.Config.PublicURL,
		Languages: cases.PublicLanguages, Require: auth.Require, Log: d.Log,
	}).Routes(app)
}
