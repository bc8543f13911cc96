package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/cardsui"
	"github.com/gehoord/gehoord/server/web/staffui"
)

// The cards room: QR-card batches, the /c/{code} landing, and the
// coordinators' pages to make, print and show cards.

func wireCards(ctx context.Context, d *Deps) error {
	if err := d.Store.EnsureIndexes(ctx, cards.Indexes()...); err != nil {
		return err
	}
	d.Cards = cards.NewService(cards.Config{Store: d.Store, Languages: cases.PublicLanguages, Logger: d.Log})
	// A report that carries a card code records the card's batch.
	d.Cases.SetCards(d.Cards)
	return nil
}

// mountCards comes after mountStaff: its staff pages use staffui.Require.
func mountCards(app *fiber.App, d *Deps) error {
	cardsui.New(cardsui.Handler{
		Cards: d.Cards, View: d.View, Catalog: d.Catalog, PublicURL: d.Config.PublicURL,
		Languages: cases.PublicLanguages, Require: staffui.Require, Log: d.Log,
	}).Routes(app)
	return nil
}
