package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
)

func (h *Handler) caseState(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	to := cases.State(c.FormValue("to"))
	if k.State == cases.StateReopenRequested && !isCoordinator(auth.CurrentUser(c)) {
		return fiber.ErrForbidden
	}
	_, err = h.Cases.Transition(c.UserContext(), k.ID, auth.CurrentUser(c).ID, to, c.FormValue("reason"))
	return h.changed(c, k, "state", err, nil)
}

// caseRoute chooses the route; from received it passes triage on the way
// (the route form's one submit does both).
func (h *Handler) caseRoute(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	if k.State == cases.StateReopenRequested {
		return fiber.ErrForbidden
	}
	_, err = h.Cases.ChooseRoute(c.UserContext(), k.ID, auth.CurrentUser(c).ID, cases.State(c.FormValue("to")), c.FormValue("reason"))
	return h.changed(c, k, "state", err, nil)
}

func (h *Handler) caseClose(c *fiber.Ctx) error {
	k, err := h.loadActable(c)
	if err != nil {
		return err
	}
	_, err = h.Cases.Close(c.UserContext(), k.ID, auth.CurrentUser(c).ID, cases.Outcome(c.FormValue("outcome")))
	return h.changed(c, k, "close", err, nil)
}

// caseReopen decides a reopen request: "reopen" or "refuse" (back to
// closed with the earlier outcome).
func (h *Handler) caseReopen(c *fiber.Ctx) error {
	k, err := h.loadCase(c)
	if err != nil {
		return err
	}
	if k.State == cases.StateClosed {
		// She wrote on the closed case: the coordinator takes it up again.
		_, err = h.Cases.ReopenAfterReply(c.UserContext(), k.ID, auth.CurrentUser(c).ID)
		return h.changed(c, k, "reopen", err, nil)
	}
	to := cases.StateReopened
	if c.FormValue("decision") == "refuse" {
		to = cases.StateClosed
	}
	_, err = h.Cases.Transition(c.UserContext(), k.ID, auth.CurrentUser(c).ID, to, c.FormValue("reason"))
	return h.changed(c, k, "reopen", err, nil)
}
