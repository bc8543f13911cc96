package pushui

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/jsonin"
	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/problem"
)

// maxBody is the largest subscription body accepted (contract: 64 KiB).
const maxBody = 64 << 10

func (h *Handler) key(c *fiber.Ctx) error {
	k, err := h.Push.PublicKey(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"public_key": k})
}

// Errors of the request itself, before the subscription is looked at.
var (
	errTooLarge  = fault.New(fault.TooLarge, "error.too_large", "pushui: the body is larger than 64 KiB")
	errMediaType = fault.New(fault.MediaType, "error.media_type", "pushui: the body is not application/json")
)

// readSubscription decodes a PushSubscription body strictly.
func readSubscription(c *fiber.Ctx) (push.Input, error) {
	var in push.Input
	if len(c.Body()) > maxBody {
		return in, errTooLarge
	}
	if ct := strings.ToLower(c.Get(fiber.HeaderContentType)); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return in, errMediaType
	}
	return in, jsonin.Decode(c.Body(), &in)
}

// fail answers an error in the staff member's own language (not the
// browser's Accept-Language): a refused subscription names its field.
func (h *Handler) fail(c *fiber.Ctx, err error) error {
	return problem.Respond(c, h.Catalog, lang(c), err)
}

func (h *Handler) subscribe(c *fiber.Ctx) error {
	in, err := readSubscription(c)
	if err != nil {
		return h.fail(c, err)
	}
	u := auth.CurrentUser(c)
	in.Lang = u.Lang
	d, err := h.Push.Subscribe(c.UserContext(), u.ID, in)
	if err != nil {
		return h.fail(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": d.ID, "label": d.Label})
}

func (h *Handler) unsubscribe(c *fiber.Ctx) error {
	in, err := readSubscription(c)
	if err != nil {
		return h.fail(c, err)
	}
	if strings.TrimSpace(in.Endpoint) == "" {
		return h.fail(c, fault.InvalidField("endpoint", "app.error.required"))
	}
	if err := h.Push.Unsubscribe(c.UserContext(), auth.CurrentUser(c).ID, in.Endpoint); err != nil {
		return h.fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
