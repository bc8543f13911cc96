package public

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
)

func (h *Handler) statusReply(c *fiber.Ctx) error {
	tok, body := c.FormValue("t"), c.FormValue("body")
	v, ok, err := h.Views.Peek(c.UserContext(), tok, tokenCase)
	if err != nil {
		return err
	}
	if !ok {
		return h.expired(c, body)
	}
	// The token makes a double tap one message.
	_, err = h.Cases.ReplyToCase(c.UserContext(), v.Case, tok, body)
	switch ve, _ := fault.As(err); {
	case ve != nil && ve.Code == fault.Invalid:
		errs := map[string]string{}
		for _, fe := range ve.Fields {
			errs[fe.Field] = fe.Key
		}
		return h.redirect(c, View{Kind: viewStatus, Case: v.Case, Form: echo(map[string]string{"body": body}), Errors: errs})
	case errors.Is(err, cases.ErrNotFound):
		return h.expired(c, "")
	case err != nil:
		return err
	}
	return h.redirect(c, View{Kind: viewStatus, Case: v.Case, Flash: "status.sent"})
}

func (h *Handler) statusHeard(c *fiber.Ctx) error {
	if h.Heard == nil {
		return fiber.ErrNotFound
	}
	tok := c.FormValue("t")
	v, ok, err := h.Views.Peek(c.UserContext(), tok, tokenCase)
	if err != nil {
		return err
	}
	if !ok {
		return h.expired(c, "")
	}
	if a := c.FormValue("heard"); a == "yes" || a == "no" {
		if err := h.Heard(c, v.Case, a == "yes", c.FormValue("reason")); err != nil {
			return err
		}
	}
	return h.redirect(c, View{Kind: viewStatus, Case: v.Case, Flash: "status.heard_thanks"})
}
