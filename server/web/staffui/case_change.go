package staffui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/web/problem"
)

// doneFor is the confirmation each change shows.
var doneFor = map[string]string{
	"assign": "assigned", "message": "sent", "note": "noted", "extend": "extended", "referral": "referred",
	"theme": "linked", "unlink": "unlinked", "close": "closed", "reopen": "reopened", "priority": "saved", "state": "state",
}

// errConfirm: an action that asks for confirmation came without it.
var errConfirm = fault.New(fault.Invalid, "staff.case.error.confirm", "staffui: not confirmed")

// changed finishes a change: audit, then back to the case (303), or the
// case page with the error (422).
func (h *Handler) changed(c *fiber.Ctx, k *cases.Case, what string, err error, form func(*casePage)) error {
	if err != nil {
		// A change the case refuses shows the fault's own message on the
		// case page; anything else goes to the error handler.
		f, ok := fault.As(err)
		if !ok || f.Code != fault.Invalid || f.Key == "" {
			return err
		}
		fresh, gerr := h.Cases.Get(c.UserContext(), k.ID)
		if gerr != nil {
			return gerr
		}
		return h.showCase(c, fresh, problem.Status(f.Code), func(p *casePage) {
			p.Error = f.Key
			if form != nil {
				form(p)
			}
		})
	}
	h.audit(c, h.caseChange(c, k, what))
	return back(c, "/staff/cases/"+k.ID, doneFor[what])
}
