package staffui

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

// Standard texts: coordinators keep the desk's standard texts — where each
// fits (states, kinds, categories) and its wording in every public
// language. Handlers pick them on the case page (only the ones meant for
// the case as it is now) and see her language beside Dutch or English
// before sending.

type textRow struct {
	cases.Text
	Stale []string // languages that need translation
}

type textsPage struct {
	Rows       []textRow
	States     []cases.State
	Kinds      []string
	Languages  []string
	State      cases.State // the filter, "" for every text
	Kind       string
	StaleOnly  bool
	Error      string
	Categories []cases.Category
}

func (h *Handler) texts(c *fiber.Ctx) error { return h.showTexts(c, fiber.StatusOK, "") }

func (h *Handler) showTexts(c *fiber.Ctx, status int, errKey string) error {
	all, err := h.Cases.Texts(c.UserContext())
	if err != nil {
		return err
	}
	p := textsPage{States: cases.AllStates, Kinds: cases.Kinds, Languages: cases.PublicLanguages, Error: errKey,
		Categories: cases.Categories, StaleOnly: c.Query("stale") == "1"}
	if i := slices.Index(cases.AllStates, cases.State(c.Query("state"))); i >= 0 {
		p.State = cases.AllStates[i]
	}
	if i := slices.Index(cases.Kinds, c.Query("kind")); i >= 0 {
		p.Kind = cases.Kinds[i]
	}
	for _, t := range all {
		if (p.State != "" || p.Kind != "") && t.Automatic() {
			continue
		}
		if p.State != "" && len(t.States) > 0 && !slices.Contains(t.States, p.State) {
			continue
		}
		if p.Kind != "" && len(t.Kinds) > 0 && !slices.Contains(t.Kinds, p.Kind) {
			continue
		}
		r := textRow{Text: t}
		for _, l := range cases.PublicLanguages {
			if t.Stale[l] {
				r.Stale = append(r.Stale, l)
			}
		}
		if p.StaleOnly && len(r.Stale) == 0 {
			continue
		}
		p.Rows = append(p.Rows, r)
	}
	form := map[string]string{"state": string(p.State), "kind": p.Kind}
	return h.render(c, status, "staff/texts", &view.Data{Page: p, Form: form})
}

type textLang struct {
	Lang    string
	Body    string // what the form shows: the saved wording, else the catalog's
	Edited  bool
	Stale   bool
	Catalog string
}

// choice is one box of a multiple choice, with its label's catalog key.
type choice struct {
	Value, Key string
	Checked    bool
}

func choices[T ~string](all, checked []T, key func(T) string) []choice {
	out := make([]choice, 0, len(all))
	for _, v := range all {
		out = append(out, choice{Value: string(v), Key: key(v), Checked: slices.Contains(checked, v)})
	}
	return out
}

type textPage struct {
	Text       cases.Text
	Langs      []textLang
	States     []choice
	Kinds      []choice
	Categories []choice
	Automatic  bool // sent by the desk itself (the extension notice): wording only
	Error      string
	History    []historyRow
}

// historyRow is an earlier wording, with who replaced it by name.
type historyRow struct {
	cases.TextVersion
	ByName string
}

func (h *Handler) textView(c *fiber.Ctx) error {
	t, err := h.Cases.Text(c.UserContext(), c.Params("name"))
	if errors.Is(err, cases.ErrUnknownText) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	return h.showText(c, fiber.StatusOK, t, nil, "")
}

func (h *Handler) showText(c *fiber.Ctx, status int, t cases.Text, typed map[string]string, errKey string) error {
	var cats []string
	for _, k := range cases.Categories {
		cats = append(cats, k.ID)
	}
	p := textPage{Text: t, Automatic: t.Name == cases.TextExtended.Name, Error: errKey,
		States:     choices(cases.AllStates, t.States, func(s cases.State) string { return "state." + string(s) }),
		Kinds:      choices(cases.Kinds, t.Kinds, func(k string) string { return "kind." + k + ".label" }),
		Categories: choices(cats, t.Categories, func(k string) string { return "category." + k + ".label" })}
	for _, l := range cases.PublicLanguages {
		tl := textLang{Lang: l, Edited: t.Edited[l], Stale: t.Stale[l], Catalog: h.Cases.CatalogText(t.Name, l)}
		tl.Body = t.Body(l)
		if tl.Body == "" {
			tl.Body = tl.Catalog
		}
		if v, ok := typed[l]; ok {
			tl.Body = v
		}
		p.Langs = append(p.Langs, tl)
	}
	if len(t.History) > 0 {
		names, err := h.userNames(c)
		if err != nil {
			return err
		}
		for _, v := range t.History {
			p.History = append(p.History, historyRow{TextVersion: v, ByName: names[v.By]})
		}
	}
	return h.render(c, status, "staff/text", &view.Data{Page: p})
}

// textForm reads the edit form: where the text fits and its wording in
// every language the form carried.
func textForm(c *fiber.Ctx) cases.TextEdit {
	args := c.Request().PostArgs()
	e := cases.TextEdit{Name: c.Params("name"), Title: c.FormValue("title"), Answer: c.FormValue("answer") == "1",
		Retired: c.FormValue("retired") == "1", Bodies: map[string]string{}}
	// string(b) copies: nothing here points into request memory.
	for _, b := range args.PeekMulti("state") {
		e.States = append(e.States, cases.State(string(b)))
	}
	for _, b := range args.PeekMulti("kind") {
		e.Kinds = append(e.Kinds, string(b))
	}
	for _, b := range args.PeekMulti("category") {
		e.Categories = append(e.Categories, string(b))
	}
	for _, l := range cases.PublicLanguages {
		if args.Has("body_" + l) {
			e.Bodies[l] = string(args.Peek("body_" + l))
		}
	}
	if e.Name == "" {
		e.Name = c.FormValue("name")
	}
	e.Name = strings.Clone(e.Name)
	return e
}

// textErrorKey is the message of a refused text on the texts page: the
// fault's own, except that "empty" here means the name or the Dutch text.
func textErrorKey(err error) string {
	if errors.Is(err, cases.ErrEmpty) {
		return "staff.texts.error.empty"
	}
	if f, ok := fault.As(err); ok && f.Code == fault.Invalid {
		return f.Key
	}
	return ""
}

func (h *Handler) textSave(c *fiber.Ctx) error {
	e := textForm(c)
	u := auth.CurrentUser(c)
	err := h.Cases.SaveText(c.UserContext(), u.ID, e)
	if errors.Is(err, cases.ErrUnknownText) {
		return fiber.ErrNotFound
	}
	if key := textErrorKey(err); key != "" {
		t, terr := h.Cases.Text(c.UserContext(), e.Name)
		if terr != nil {
			return terr
		}
		return h.showText(c, fiber.StatusUnprocessableEntity, t, e.Bodies, key)
	}
	if err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.TextChange, Target: e.Name, Detail: "save"})
	return back(c, "/staff/texts/"+e.Name, "saved")
}

func (h *Handler) textAdd(c *fiber.Ctx) error {
	e := textForm(c)
	u := auth.CurrentUser(c)
	err := h.Cases.AddText(c.UserContext(), u.ID, e)
	if key := textErrorKey(err); key != "" {
		return h.showTexts(c, fiber.StatusUnprocessableEntity, key)
	}
	if err != nil {
		return err
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.TextChange, Target: e.Name, Detail: "add"})
	return back(c, "/staff/texts/"+e.Name, "saved")
}

// textTitle is how staff pages name a text: the catalog's name of a
// built-in text, the desk's title for its own.
func (h *Handler) textTitle(c *fiber.Ctx, t cases.Text) string {
	if t.Custom {
		return t.Title
	}
	return h.t(c, "staff.std."+t.Name)
}

// pickerTexts are the texts offered on the case page, with their names.
func (h *Handler) pickerTexts(c *fiber.Ctx, k *cases.Case) ([]option, error) {
	ts, err := h.Cases.TextsFor(c.UserContext(), k)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(ts))
	for _, t := range ts {
		out = append(out, option{Value: t.Name, Label: h.textTitle(c, t)})
	}
	return out, nil
}

// sideBySide is the message as it would read in the staff member's
// language (Dutch or English) beside her language, and whether her
// language's wording needs translation.
func (h *Handler) sideBySide(c *fiber.Ctx, k *cases.Case, o cases.Outgoing) (ref, refLang string, stale bool) {
	refLang = h.lang(c)
	if refLang == k.Language {
		refLang = "en"
		if k.Language == "en" {
			refLang = "nl"
		}
	}
	mirror := *k
	mirror.Language = refLang
	ref, _ = h.Cases.Compose(c.UserContext(), &mirror, o)
	if o.Text != "" {
		if t, err := h.Cases.Text(c.UserContext(), o.Text); err == nil {
			stale = t.Stale[k.Language]
		}
	}
	return ref, refLang, stale
}
