package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

type retentionPage struct {
	IdentityDays, ContentDays int
	Items                     []cases.RetentionItem
	Identity, Content         int // how many of each
}

// retention is the dry run: what a run now would erase, by case
// reference. Looking is audited (it lists cases).
func (h *Handler) retention(c *fiber.Ctx) error {
	if h.Retention == nil {
		return fiber.ErrNotFound
	}
	items, err := h.Retention.DryRun(c.UserContext())
	if err != nil {
		return err
	}
	p := retentionPage{Items: items, IdentityDays: int(h.Retention.After.Hours() / 24), ContentDays: int(h.Retention.ContentAfter.Hours() / 24)}
	for _, it := range items {
		if it.What == cases.EraseContent {
			p.Content++
		} else {
			p.Identity++
		}
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.RetentionDryRun, Detail: "dry_run", Count: len(items)})
	return h.render(c, fiber.StatusOK, "staff/retention", &view.Data{Page: p})
}

// retentionRun erases now what is due (the run writes itself to the audit
// log, as this admin's).
func (h *Handler) retentionRun(c *fiber.Ctx) error {
	if h.Retention == nil {
		return fiber.ErrNotFound
	}
	if c.FormValue("confirm") != "1" {
		// Erasing cannot be undone: only after the list was looked at.
		return fiber.NewError(fiber.StatusUnprocessableEntity, "confirm the run")
	}
	if _, err := h.Retention.Run(c.UserContext(), auth.CurrentUser(c).ID); err != nil {
		return err
	}
	return back(c, "/staff/retention", "retention_run")
}
