package server

import (
	"context"
	"io/fs"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/appui"
	"github.com/gehoord/gehoord/server/web/cardsui"
	"github.com/gehoord/gehoord/server/web/helpui"
	"github.com/gehoord/gehoord/server/web/pushui"
	"github.com/gehoord/gehoord/server/web/staffui"
)

// This file wires the handler packages of the other rooms (staff, outreach,
// push, cards, social map). Each adds its dependencies in wire, its
// templates in extraTemplates and its routes in mount.

func wire(ctx context.Context, d *Deps) error {
	if err := wireStaff(ctx, d); err != nil {
		return err
	}
	if err := wireOutreach(ctx, d); err != nil {
		return err
	}
	if err := wirePush(ctx, d); err != nil {
		return err
	}
	if err := wireCards(ctx, d); err != nil {
		return err
	}
	if err := wireHelp(ctx, d); err != nil {
		return err
	}
	return nil
}

func extraTemplates(d *Deps) []fs.FS {
	return []fs.FS{staffui.Templates(), appui.Templates(), pushui.Templates(), cardsui.Templates(), helpui.Templates()}
}

func mount(app *fiber.App, d *Deps) error {
	// Staff first: its Routes installs the session loader Require needs.
	if err := mountStaff(app, d); err != nil {
		return err
	}
	if err := mountOutreach(app, d); err != nil {
		return err
	}
	// After the staff routes (their session loader must run first).
	if err := mountPush(app, d); err != nil {
		return err
	}
	if err := mountCards(app, d); err != nil {
		return err
	}
	if err := mountHelp(app, d); err != nil {
		return err
	}
	return nil
}

func heardHandler(d *Deps) func(c *fiber.Ctx, caseID string, yes bool, reason string) error {
	return staffHeard(d)
}

// StaffCount says how many staff users exist (start-up tells how to make
// the first admin when there are none).
func StaffCount(ctx context.Context, d *Deps) (int64, error) {
	return d.Staff.Count(ctx)
}
