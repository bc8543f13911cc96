package server

import (
	"context"
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

// This file wires the handler packages of the other rooms (staff, outreach,
// push, cards, social map). Each adds its dependencies in wire, its
// templates in extraTemplates and its routes in mount.

func wire(ctx context.Context, d *Deps) error { return nil }

func extraTemplates(d *Deps) []fs.FS { return nil }

func mount(app *fiber.App, d *Deps) error { return nil }

func heardHandler(d *Deps) func(c *fiber.Ctx, receipt string, yes bool, reason string) error {
	return nil
}

// StaffCount says how many staff users exist (start-up tells how to make
// the first admin when there are none).
func StaffCount(ctx context.Context, d *Deps) (int64, error) {
	return d.Store.C("users").CountDocuments(ctx, map[string]any{})
}
