package public

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

type group struct {
	ID         string
	Categories []string
}

type formPage struct {
	Kinds, Settings, Wishes, IdentityModes []string
	Groups                                 []group
}

var theForm = func() formPage {
	p := formPage{Kinds: cases.Kinds, Settings: cases.Settings, Wishes: cases.Wishes, IdentityModes: cases.IdentityModes}
	for _, g := range cases.Groups {
		gr := group{ID: g}
		for _, c := range cases.Categories {
			if c.Group == g {
				gr.Categories = append(gr.Categories, c.ID)
			}
		}
		p.Groups = append(p.Groups, gr)
	}
	return p
}()

type municipalityOption struct {
	Value, Name, Key string // Key: catalog key of a label that is not a name
	Selected         bool
}

// MunicipalityOptions are the choices of the intake form's municipality:
// "I don't know" and "online" first, then every municipality; the one
// current names (a code or a name) is selected.
func (formPage) MunicipalityOptions(current string) []municipalityOption {
	code, _, _ := cases.ResolveMunicipality(current)
	ms := cases.MunicipalityChoices()
	out := make([]municipalityOption, 0, len(ms)+2)
	out = append(out,
		municipalityOption{Value: cases.MunicipalityUnknown, Key: "form.municipality_unknown"},
		municipalityOption{Value: cases.MunicipalityOnline, Key: "form.municipality_online", Selected: code == cases.MunicipalityOnline})
	for _, m := range ms {
		out = append(out, municipalityOption{Value: m.Code, Name: m.Name, Selected: code == m.Code})
	}
	return out
}

// freshForm gives the form its own case id, signed by the desk. The
// receipt is derived from the id with the desk's key, so pressing send
// twice makes one case and shows the same receipt, and nobody can prepare
// a form whose receipt they know.
func (h *Handler) freshForm(card string) map[string]string {
	form := map[string]string{"card": card, "reporter": "self"}
	h.refresh(form)
	return form
}

// refresh gives a form a new signed id: what follows is a new report.
func (h *Handler) refresh(form map[string]string) {
	id := uuid.NewString()
	form["id"], form["token"] = id, h.Views.FormToken(id)
}

func (h *Handler) reportForm(c *fiber.Ctx) error {
	card := strings.ToUpper(strings.TrimSpace(c.Query("card")))
	if len(card) > 20 {
		card = ""
	}
	// The form is the same for every visitor but for its id, signature and
	// card code: rendered once, those filled in per visit.
	form := h.freshForm(card)
	fill := map[string]string{view.FormIDMark: form["id"], view.FormTokenMark: form["token"], view.FormCardMark: card}
	form["id"], form["token"], form["card"] = view.FormIDMark, view.FormTokenMark, view.FormCardMark
	return h.View.Shared(c, "public/report", &view.Data{Lang: lang.Of(c), Page: theForm, Form: form}, fill)
}

// reportFieldOrder is the order the form shows its fields (and so the
// error summary its errors).
var reportFieldOrder = []string{"form", "kind", "category", "description", "about", "municipality", "happened_on",
	"setting", "wish", "identity_mode", "name", "contact", "reporter"}

var formFields = []string{"id", "token", "card", "kind", "category", "description", "about", "municipality",
	"happened_on", "setting", "wish", "identity_mode", "name", "contact", "share_identity", "reporter", "report_only"}

// formField maps a validation field to the form's field name.
func formField(f string) string {
	switch f {
	case "identity.mode":
		return "identity_mode"
	case "identity.name":
		return "name"
	case "identity.contact":
		return "contact"
	}
	return f
}

// formAgain shows the form with what she sent and a message on top.
func (h *Handler) formAgain(c *fiber.Ctx, status int, flash string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	form := map[string]string{}
	for _, f := range formFields {
		form[f] = c.FormValue(f)
	}
	return h.View.Render(c, status, "public/report", &view.Data{Lang: lang.Of(c), Page: theForm, Form: echo(form), Flash: flash})
}

// echo is what of a form comes back to her: each field at most as long as
// it may be (the description 10,000 characters, the rest 200), so a
// refused post of megabytes never comes back, or is stored, as megabytes.
func echo(form map[string]string) map[string]string {
	out := make(map[string]string, len(form))
	for f, v := range form {
		n := cases.MaxShort
		switch f {
		case "description":
			n = cases.MaxDescription
		case "body":
			n = cases.MaxMessage
		}
		out[f] = clip(v, n)
	}
	return out
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}
