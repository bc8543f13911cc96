package public

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/web/lang"
)

// caseMade is the Locals key reportSubmit sets once a case exists.
const caseMade = "public.case_made"

// limitReports counts a report before it is made, so parallel ones cannot
// all pass. Over the limit, or when the desk is too busy to take it now,
// the form comes back with what she typed. A submit that makes no case
// (invalid, refused, an error) is taken back.
func (h *Handler) limitReports(c *fiber.Ctx) error {
	if h.TakeReport == nil {
		return c.Next()
	}
	a, err := h.TakeReport(c)
	if store.Unavailable(err) {
		h.Log.Error("public: the report could not be counted", "err", err)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(StoreRetryAfter))
		return h.formAgain(c, fiber.StatusServiceUnavailable, "form.unavailable")
	}
	if err != nil {
		return err
	}
	if !a.Allowed {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(a.Wait/time.Second)+1))
		return h.formAgain(c, fiber.StatusTooManyRequests, "form.limited")
	}
	err = c.Next()
	if made, _ := c.Locals(caseMade).(bool); !made {
		if uerr := a.Undo(c.UserContext()); uerr != nil {
			h.Log.Error("public: take back report attempt", "err", uerr)
		}
	}
	if errors.Is(err, gate.ErrBusy) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(gate.RetryAfter))
		return h.formAgain(c, fiber.StatusServiceUnavailable, "form.busy")
	}
	if store.Unavailable(err) {
		// A full disk or a write error: her report is not lost, it is
		// on the page to send again.
		h.Log.Error("public: the report could not be stored", "err", err)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(StoreRetryAfter))
		return h.formAgain(c, fiber.StatusServiceUnavailable, "form.unavailable")
	}
	return err
}

// StoreRetryAfter is the Retry-After (seconds) when the database cannot
// write.
const StoreRetryAfter = 30

func (h *Handler) reportSubmit(c *fiber.Ctx) error {
	l := lang.Of(c)
	form := map[string]string{}
	for _, f := range formFields {
		form[f] = c.FormValue(f)
	}
	if !h.Views.FormTokenValid(form["id"], form["token"]) {
		// Not a form the desk handed out (a look-alike page, a fake card,
		// a tampered one): nothing is made, and she gets what she typed
		// back in a form that is.
		h.refresh(form)
		return h.redirect(c, View{Kind: viewForm, Form: echo(form), Errors: map[string]string{"form": "form.token_invalid"}})
	}
	var err error
	for range 3 {
		var res cases.Result
		res, err = h.Cases.CreateForm(c.UserContext(), InputFromForm(form, l))
		ve, _ := fault.As(err)
		switch {
		case errors.Is(err, cases.ErrConflict):
			// She came back and changed what she wrote after sending: it
			// is a new report, and nothing she typed may be lost.
			h.refresh(form)
			continue
		case ve != nil && ve.Code == fault.Invalid:
			errs := map[string]string{}
			for _, fe := range ve.Fields {
				switch fe.Field {
				case "id", "receipt":
					h.refresh(form)
				case "card":
					form["card"] = ""
				default:
					errs[formField(fe.Field)] = fe.Key
				}
			}
			if len(errs) == 0 {
				continue // only hidden fields were wrong: send it again
			}
			return h.redirect(c, View{Kind: viewForm, Form: echo(form), Errors: errs})
		case err != nil:
			return err
		}
		c.Locals(caseMade, true)
		return h.redirect(c, View{Kind: viewReceipt, Receipt: res.Receipt, Reference: res.Reference})
	}
	return fmt.Errorf("public: the form did not go through: %w", err)
}

// InputFromForm turns the intake form's fields into a report.
func InputFromForm(form map[string]string, lang string) cases.Input {
	return cases.Input{
		ID: form["id"], Card: form["card"],
		Kind: form["kind"], Category: form["category"], Description: form["description"],
		About: form["about"], Municipality: form["municipality"], HappenedOn: form["happened_on"],
		Setting: form["setting"], Wish: form["wish"],
		Identity:      cases.Identity{Mode: form["identity_mode"], Name: form["name"], Contact: form["contact"]},
		ShareIdentity: form["share_identity"] == "yes",
		Reporter:      form["reporter"], Language: lang,
		// Ticked by a professional whose client does not complain herself.
		ReportOnly: form["report_only"] == "yes",
	}
}
