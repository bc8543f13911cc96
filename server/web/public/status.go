package public

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

type statusPage struct {
	Found, NotFound, Limited, CanReply, AskHeard bool
	// Typo: the digits cannot be a receipt (the check digit is wrong).
	Typo                    bool
	Reference, Flash, State string
	// Token names her case in the page's forms (never the receipt).
	Token string
	// Draft is a reply she wrote that was not sent yet.
	Draft    string
	Messages []cases.Message
}

func (h *Handler) statusForm(c *fiber.Ctx) error {
	// A failed look-up is the receipt field's error, tied to the field.
	switch c.Query("e") {
	case "not_found":
		return h.View.Render(c, fiber.StatusNotFound, "public/status", &view.Data{Lang: lang.Of(c), Page: statusPage{NotFound: true},
			Errors: map[string]string{"receipt": h.Catalog.T(lang.Of(c), "status.not_found") + " " + h.Catalog.T(lang.Of(c), "status.not_found_outreach")}})
	case "too_many":
		return h.View.Render(c, fiber.StatusTooManyRequests, "public/status", &view.Data{Lang: lang.Of(c), Page: statusPage{Limited: true},
			Errors: h.translate(c, map[string]string{"receipt": "error.too_many"})})
	case "check":
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/status", &view.Data{Lang: lang.Of(c), Page: statusPage{Typo: true},
			Errors: h.translate(c, map[string]string{"receipt": "status.check_digits"})})
	}
	return h.View.Shared(c, "public/status", &view.Data{Lang: lang.Of(c), Page: statusPage{}}, nil)
}

// lookup opens the case for a receipt, counting misses per client so the
// 10^15 receipts cannot be tried one after another. A number whose digits
// cannot be a receipt (a typo the check digit catches) is answered 422
// before anything else: no hash, no miss counted. The lookup is counted
// before the receipt is hashed, so parallel guesses cannot all pass the
// limit; a lookup that finds her case is taken back.
func (h *Handler) lookup(c *fiber.Ctx, receipt string) (*cases.Case, int, error) {
	chk, err := h.Cases.CheckReceipt(c.UserContext(), receipt)
	if err != nil {
		return nil, 0, err
	}
	if chk == cases.ReceiptTypo {
		return nil, fiber.StatusUnprocessableEntity, nil
	}
	a, err := h.StatusMisses.Take(c.UserContext(), h.ClientKey(c))
	if err != nil {
		return nil, 0, err
	}
	if !a.Allowed {
		return nil, fiber.StatusTooManyRequests, nil
	}
	cs, err := h.Cases.ByReceipt(c.UserContext(), receipt)
	if errors.Is(err, cases.ErrNotFound) {
		if chk == cases.ReceiptMaybeOld {
			// Not an old receipt either: most likely a typo.
			return nil, fiber.StatusUnprocessableEntity, nil
		}
		return nil, fiber.StatusNotFound, nil
	}
	if uerr := a.Undo(c.UserContext()); uerr != nil {
		h.Log.Error("public: take back status lookup", "err", uerr)
	}
	if err != nil {
		return nil, 0, err
	}
	return cs, fiber.StatusOK, nil
}

func (h *Handler) showStatus(c *fiber.Ctx, v View) error {
	// From the copy in memory, which her messages come from too.
	cs, err := h.Cases.View(c.UserContext(), v.Case)
	if errors.Is(err, cases.ErrNotFound) {
		return h.page(c, fiber.StatusGone, "public/gone", nil)
	}
	if err != nil {
		return err
	}
	msgs, err := h.Cases.Messages(c.UserContext(), cs.ID)
	if err != nil {
		return err
	}
	tok, err := h.Views.Put(c.UserContext(), View{Kind: tokenCase, Case: cs.ID}, ActionTTL)
	if err != nil {
		return err
	}
	p := statusPage{Found: true, Reference: cs.Reference, State: string(cs.State), Messages: msgs, Flash: v.Flash, Token: tok,
		CanReply: !cs.Erased, AskHeard: cs.State == cases.StateClosed && cs.Heard == "" && h.Heard != nil}
	status := fiber.StatusOK
	if len(v.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return h.View.Render(c, status, "public/status", &view.Data{Lang: lang.Of(c), Page: p, Form: v.Form, Errors: h.translate(c, v.Errors)})
}

func (h *Handler) statusLookup(c *fiber.Ctx) error {
	cs, st, err := h.lookup(c, c.FormValue("receipt"))
	if err != nil {
		return err
	}
	switch st {
	case fiber.StatusTooManyRequests:
		return c.Redirect("/"+lang.Of(c)+"/status?e=too_many", fiber.StatusSeeOther)
	case fiber.StatusNotFound:
		return c.Redirect("/"+lang.Of(c)+"/status?e=not_found", fiber.StatusSeeOther)
	case fiber.StatusUnprocessableEntity:
		return c.Redirect("/"+lang.Of(c)+"/status?e=check", fiber.StatusSeeOther)
	}
	v := View{Kind: viewStatus, Case: cs.ID}
	if d := c.FormValue("body"); strings.TrimSpace(d) != "" {
		v.Form = echo(map[string]string{"body": d}) // her unsent reply, kept
	}
	return h.redirect(c, v)
}

// expired answers a form whose case token ran out: she opens her case with
// her receipt again, and a reply she wrote is kept for her.
func (h *Handler) expired(c *fiber.Ctx, draft string) error {
	v := View{Kind: viewLookup, Flash: "gone.text"}
	if strings.TrimSpace(draft) != "" {
		v.Flash, v.Form = "status.expired", echo(map[string]string{"body": draft})
	}
	return h.redirect(c, v)
}
