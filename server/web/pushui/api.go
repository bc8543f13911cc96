package pushui

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

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

// readSubscription decodes a PushSubscription body, answering 413, 415 or
// 400 itself (ok false).
func readSubscription(c *fiber.Ctx) (push.Input, bool, error) {
	var in push.Input
	if len(c.Body()) > maxBody {
		return in, false, problem.New(c, fiber.StatusRequestEntityTooLarge, "the body is larger than 64 KiB")
	}
	if ct := strings.ToLower(c.Get(fiber.HeaderContentType)); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return in, false, problem.New(c, fiber.StatusUnsupportedMediaType, "send application/json")
	}
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return in, false, problem.New(c, fiber.StatusBadRequest, "the body is not a PushSubscription JSON object")
	}
	return in, true, nil
}

func (h *Handler) subscribe(c *fiber.Ctx) error {
	in, ok, err := readSubscription(c)
	if !ok {
		return err
	}
	u := auth.CurrentUser(c)
	in.Lang = u.Lang
	d, err := h.Push.Subscribe(c.UserContext(), u.ID, in)
	switch {
	case errors.Is(err, push.ErrHost):
		// A browser with another push service, or an endpoint made up to
		// make the server call somewhere: say so in her language.
		return problem.Write(c, problem.Problem{Status: fiber.StatusUnprocessableEntity,
			Detail: "not a usable push subscription",
			Errors: []problem.FieldError{{Field: "endpoint", Detail: h.Catalog.T(lang(c), "push.status.service")}}})
	case errors.Is(err, push.ErrInvalid):
		return problem.Write(c, problem.Problem{Status: fiber.StatusUnprocessableEntity,
			Detail: "not a usable push subscription",
			Errors: []problem.FieldError{{Field: fieldOf(err), Detail: err.Error()}}})
	case errors.Is(err, push.ErrTooMany):
		return problem.New(c, fiber.StatusUnprocessableEntity, "too many devices; remove one first")
	case err != nil:
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": d.ID, "label": d.Label})
}

func fieldOf(err error) string {
	m := err.Error()
	for _, f := range []string{"keys.p256dh", "keys.auth", "endpoint", "label"} {
		if strings.Contains(m, f) {
			return f
		}
	}
	return "endpoint"
}

func (h *Handler) unsubscribe(c *fiber.Ctx) error {
	in, ok, err := readSubscription(c)
	if !ok {
		return err
	}
	if strings.TrimSpace(in.Endpoint) == "" {
		return problem.Write(c, problem.Problem{Status: fiber.StatusUnprocessableEntity,
			Errors: []problem.FieldError{{Field: "endpoint", Detail: "required"}}})
	}
	err = h.Push.Unsubscribe(c.UserContext(), auth.CurrentUser(c).ID, in.Endpoint)
	if errors.Is(err, push.ErrNotFound) {
		return problem.New(c, fiber.StatusNotFound, "no such subscription of yours")
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
