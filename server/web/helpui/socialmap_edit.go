package helpui

import (
	"strings"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/web/problem"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/view"
)

// formPage is the new/edit form of one organisation.
type formPage struct {
	New      bool
	Key      string
	Org      socialmap.Organisation
	Topics   []Option
	Regions  []string
	National string
	// Checked marks the chosen topics and regions.
	Checked map[string]bool
	// Langs are the languages a text can be written in (the public ones).
	Langs []string
}

func (h *Handler) renderForm(c *fiber.Ctx, status int, isNew bool, o socialmap.Organisation, errs map[string]string) error {
	p := formPage{New: isNew, Key: o.Key, Org: o, Topics: topicOptions(), Regions: socialmap.Regions(),
		National: socialmap.National, Checked: map[string]bool{}, Langs: cases.PublicLanguages}
	for _, t := range o.Topics {
		p.Checked["topic:"+t] = true
	}
	for _, r := range o.Regions {
		p.Checked["region:"+r] = true
	}
	verified := o.VerifiedOn
	if verified == "" && !isNew {
		verified = socialmap.ToVerify
	}
	form := map[string]string{
		"key": o.Key, "name": o.Name, "about": o.About, "municipalities": strings.Join(o.Municipalities, "\n"),
		"languages": strings.Join(o.Languages, ", "), "phone": o.Phone, "web": o.Web, "email": o.Email,
		"address": o.Address, "walk_in": o.WalkIn, "hours": o.Hours, "verified_on": verified,
		"text_lang": o.TextLang,
	}
	if form["text_lang"] == "" {
		form["text_lang"] = "nl"
	}
	for l, t := range o.Texts {
		form["about."+l], form["walk_in."+l], form["hours."+l] = t.About, t.WalkIn, t.Hours
	}
	page := "staff/socialmap_form"
	return h.View.Render(c, status, page, &view.Data{Lang: staffLang(c), Page: p, Form: form, Errors: errs})
}

func (h *Handler) mapNew(c *fiber.Ctx) error {
	return h.renderForm(c, fiber.StatusOK, true, socialmap.Organisation{}, nil)
}

func (h *Handler) mapEdit(c *fiber.Ctx) error {
	o, err := h.Map.Get(c.UserContext(), c.Params("key"))
	if err != nil { // socialmap.ErrNotFound is a 404 through the one mapping
		return err
	}
	return h.renderForm(c, fiber.StatusOK, false, o, nil)
}

// orgFromForm reads the posted form; lists come from checkboxes (topics,
// regions), lines (municipalities) and commas (languages).
func orgFromForm(c *fiber.Ctx) socialmap.Organisation {
	v := func(name string) string { return c.FormValue(name) }
	multi := func(name string) []string {
		var out []string
		for _, b := range c.Request().PostArgs().PeekMulti(name) {
			out = append(out, string(b))
		}
		return out
	}
	texts := map[string]socialmap.LocalText{}
	for _, l := range cases.PublicLanguages {
		texts[l] = socialmap.LocalText{About: v("about." + l), WalkIn: v("walk_in." + l), Hours: v("hours." + l)}
	}
	return socialmap.Organisation{
		TextLang: v("text_lang"), Texts: texts,
		Key: v("key"), Name: v("name"), About: v("about"),
		Topics: multi("topics"), Regions: multi("regions"),
		Municipalities: socialmap.SplitList(v("municipalities")),
		Languages: strings.FieldsFunc(v("languages"), func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '|' || r == '\n' || r == '\r'
		}),
		Phone: v("phone"), Web: v("web"), Email: v("email"), Address: v("address"),
		WalkIn: v("walk_in"), Hours: v("hours"), VerifiedOn: v("verified_on"),
		Evening: v("evening") != "", BySexWorkers: v("by_sex_workers") != "",
	}
}

// formErrors translates an Invalid fault for the form, the first problem
// of each field.
func (h *Handler) formErrors(lang string, err error) map[string]string {
	out := map[string]string{}
	for _, fe := range fault.FieldsOf(err) {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = h.Catalog.T(lang, fe.Key, fe.Args...)
		}
	}
	return out
}

func (h *Handler) mapCreate(c *fiber.Ctx) error {
	o := orgFromForm(c)
	created, err := h.Map.Create(c.UserContext(), o)
	switch code := fault.CodeOf(err); {
	case err != nil && code == fault.Invalid:
		return h.renderForm(c, problem.Status(code), true, created, h.formErrors(staffLang(c), err))
	case err != nil:
		return err
	}
	return c.Redirect("/staff/socialmap?done=created", fiber.StatusSeeOther)
}

func (h *Handler) mapUpdate(c *fiber.Ctx) error {
	old, err := h.Map.Get(c.UserContext(), c.Params("key"))
	if err != nil { // socialmap.ErrNotFound is a 404 through the one mapping
		return err
	}
	o := orgFromForm(c)
	o.Key, o.Retired = old.Key, old.Retired // the key never changes; retiring has its own button
	_, err = h.Map.Update(c.UserContext(), o)
	switch code := fault.CodeOf(err); {
	case err != nil && code == fault.Invalid:
		return h.renderForm(c, problem.Status(code), false, o, h.formErrors(staffLang(c), err))
	case err != nil:
		return err
	}
	return c.Redirect("/staff/socialmap?done=saved", fiber.StatusSeeOther)
}
