// Package public serves the complainant's pages: home, intake form,
// receipt, status, privacy. Every page works without JavaScript, sets no
// cookie, and pages with her words are never cached.
package public

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/web/view"
)

// Templates are the public pages.
//
//go:embed templates
var templates embed.FS

// Templates returns the page templates for the renderer.
func Templates() fs.FS { return view.Sub(templates) }

// Handler serves the public pages.
type Handler struct {
	Cases   *cases.Service
	View    *view.Renderer
	Catalog *i18n.Catalog
	// StatusMisses limits wrong receipts per client.
	StatusMisses *ratelimit.Limiter
	// ClientKey identifies a client for rate limiting only, never stored.
	ClientKey func(c *fiber.Ctx) string
	// Heard, when set, records her answer after closing (staff issue).
	Heard func(c *fiber.Ctx, receipt string, yes bool, reason string) error
	Log   *slog.Logger
}

// Routes mounts the public pages. Language-prefixed routes are checked by
// the lang middleware.
func (h *Handler) Routes(r fiber.Router) {
	r.Get("/", h.root)
	lang := r.Group("/:lang", h.requireLang)
	lang.Get("/", h.home)
	lang.Get("/languages", h.languages)
	lang.Get("/report", h.noStore, h.reportForm)
	lang.Post("/report", h.noStore, h.reportSubmit)
	lang.Post("/report/saved", h.noStore, h.reportSaved)
	lang.Get("/status", h.noStore, h.statusForm)
	lang.Post("/status", h.noStore, h.statusLookup)
	lang.Post("/status/reply", h.noStore, h.statusReply)
	lang.Post("/status/heard", h.noStore, h.statusHeard)
	lang.Get("/privacy", h.privacy)
}

// Lang returns the page language set by requireLang.
func Lang(c *fiber.Ctx) string {
	if l, ok := c.Locals("lang").(string); ok {
		return l
	}
	return "nl"
}

func (h *Handler) requireLang(c *fiber.Ctx) error {
	i := slices.Index(cases.PublicLanguages, c.Params("lang"))
	if i < 0 {
		return c.Next() // not a language: let later routes or the 404 page answer
	}
	// The list's own string, not the request's: the language outlives the
	// request in the renderer's per-language templates.
	c.Locals("lang", cases.PublicLanguages[i])
	return c.Next()
}

func isLang(c *fiber.Ctx) bool { _, ok := c.Locals("lang").(string); return ok }

func (h *Handler) noStore(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

func (h *Handler) root(c *fiber.Ctx) error {
	l := i18n.Match(c.Get(fiber.HeaderAcceptLanguage), cases.PublicLanguages)
	c.Set(fiber.HeaderVary, "Accept-Language")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Redirect("/"+l+"/", fiber.StatusFound)
}

func (h *Handler) page(c *fiber.Ctx, status int, name string, page any) error {
	return h.View.Render(c, status, name, &view.Data{Lang: Lang(c), Page: page})
}

func (h *Handler) home(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.page(c, fiber.StatusOK, "public/home", nil)
}

func (h *Handler) languages(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.page(c, fiber.StatusOK, "public/choose", nil)
}

func (h *Handler) privacy(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.page(c, fiber.StatusOK, "public/privacy", nil)
}

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

// freshForm gives the form its own case id and receipt, so pressing send
// twice (or reloading the answer) makes one case and shows the same receipt.
func freshForm(card string) map[string]string {
	receipt, err := cases.NewReceipt()
	if err != nil {
		receipt = ""
	}
	return map[string]string{"id": uuid.NewString(), "receipt": receipt, "card": card, "reporter": "self"}
}

func (h *Handler) reportForm(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	card := strings.ToUpper(strings.TrimSpace(c.Query("card")))
	if len(card) > 20 {
		card = ""
	}
	return h.View.Render(c, fiber.StatusOK, "public/report", &view.Data{Lang: Lang(c), Page: theForm, Form: freshForm(card)})
}

var formFields = []string{"id", "receipt", "card", "kind", "category", "description", "about", "municipality",
	"happened_on", "setting", "wish", "identity_mode", "name", "contact", "share_identity", "reporter"}

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

func (h *Handler) reportSubmit(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	lang := Lang(c)
	form := map[string]string{}
	for _, f := range formFields {
		form[f] = c.FormValue(f)
	}
	in := InputFromForm(form, lang)
	res, err := h.Cases.Create(c.UserContext(), in, cases.ChannelWeb)
	if errors.Is(err, cases.ErrConflict) {
		// She came back and changed what she wrote after sending: it is a
		// new report, and nothing she typed may be lost.
		fresh := freshForm(form["card"])
		in.ID, in.Receipt = fresh["id"], fresh["receipt"]
		res, err = h.Cases.Create(c.UserContext(), in, cases.ChannelWeb)
	}
	var ve *cases.ValidationError
	if errors.As(err, &ve) {
		errs := map[string]string{}
		for _, fe := range ve.Fields {
			if fe.Field == "id" || fe.Field == "receipt" {
				// A stale or tampered hidden field: give the form new ones.
				fresh := freshForm(form["card"])
				form["id"], form["receipt"] = fresh["id"], fresh["receipt"]
				continue
			}
			if fe.Field == "card" {
				form["card"] = ""
				continue
			}
			errs[formField(fe.Field)] = h.Catalog.T(lang, fe.Key)
		}
		if len(errs) == 0 {
			return h.reportSubmitRetry(c, form, lang)
		}
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/report",
			&view.Data{Lang: lang, Page: theForm, Form: form, Errors: errs})
	}
	if err != nil {
		return err
	}
	receipt := res.Receipt
	if receipt == "" {
		receipt = in.Receipt
	}
	return h.page(c, fiber.StatusOK, "public/receipt", receiptPage{Receipt: receipt, Reference: res.Reference})
}

// reportSubmitRetry resends after only hidden fields were replaced.
func (h *Handler) reportSubmitRetry(c *fiber.Ctx, form map[string]string, lang string) error {
	in := InputFromForm(form, lang)
	res, err := h.Cases.Create(c.UserContext(), in, cases.ChannelWeb)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "public/receipt", receiptPage{Receipt: in.Receipt, Reference: res.Reference})
}

// InputFromForm turns the intake form's fields into a report.
func InputFromForm(form map[string]string, lang string) cases.Input {
	return cases.Input{
		ID: form["id"], Receipt: form["receipt"], Card: form["card"],
		Kind: form["kind"], Category: form["category"], Description: form["description"],
		About: form["about"], Municipality: form["municipality"], HappenedOn: form["happened_on"],
		Setting: form["setting"], Wish: form["wish"],
		Identity:      cases.Identity{Mode: form["identity_mode"], Name: form["name"], Contact: form["contact"]},
		ShareIdentity: form["share_identity"] == "yes",
		Reporter:      form["reporter"], Language: lang,
	}
}

type receiptPage struct{ Receipt, Reference string }

func (h *Handler) reportSaved(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	p := receiptPage{Receipt: cases.NormalizeReceipt(c.FormValue("receipt")), Reference: c.FormValue("reference")}
	if !cases.ValidReceipt(p.Receipt) {
		p.Receipt = ""
	}
	if len(p.Reference) > 20 {
		p.Reference = ""
	}
	if c.FormValue("saved") != "yes" && p.Receipt != "" {
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/receipt", &view.Data{Lang: Lang(c), Page: p,
			Errors: map[string]string{"saved": h.Catalog.T(Lang(c), "receipt.confirm_needed")}})
	}
	return h.page(c, fiber.StatusOK, "public/saved", receiptPage{Reference: p.Reference})
}

type statusPage struct {
	Found, NotFound, Limited, CanReply, AskHeard bool
	Receipt, Reference, Flash                    string
	State                                        string
	Messages                                     []cases.Message
}

func (h *Handler) statusForm(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.page(c, fiber.StatusOK, "public/status", statusPage{})
}

// lookup opens the case for a receipt, counting misses per client so the
// 10^16 receipts cannot be tried one after another. The lookup is counted
// before the receipt is hashed, so parallel guesses cannot all pass the
// limit; a lookup that finds her case is taken back.
func (h *Handler) lookup(c *fiber.Ctx, receipt string) (*cases.Case, int, error) {
	a, err := h.StatusMisses.Take(c.UserContext(), h.ClientKey(c))
	if err != nil {
		return nil, 0, err
	}
	if !a.Allowed {
		return nil, fiber.StatusTooManyRequests, nil
	}
	cs, err := h.Cases.ByReceipt(c.UserContext(), receipt)
	if errors.Is(err, cases.ErrNotFound) {
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

func (h *Handler) renderStatus(c *fiber.Ctx, status int, cs *cases.Case, receipt string, d *view.Data) error {
	msgs, err := h.Cases.Messages(c.UserContext(), cs.ID)
	if err != nil {
		return err
	}
	p := statusPage{Found: true, Receipt: cases.NormalizeReceipt(receipt), Reference: cs.Reference, State: string(cs.State),
		Messages: msgs, CanReply: !cs.Erased, AskHeard: cs.State == cases.StateClosed && cs.Heard == "" && h.Heard != nil}
	if d == nil {
		d = &view.Data{}
	}
	if f, ok := d.Page.(string); ok {
		p.Flash = f
	}
	d.Lang, d.Page = Lang(c), p
	return h.View.Render(c, status, "public/status", d)
}

func (h *Handler) statusLookup(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	receipt := c.FormValue("receipt")
	cs, st, err := h.lookup(c, receipt)
	if err != nil {
		return err
	}
	switch st {
	case fiber.StatusTooManyRequests:
		return h.page(c, st, "public/status", statusPage{Limited: true})
	case fiber.StatusNotFound:
		return h.page(c, st, "public/status", statusPage{NotFound: true})
	}
	return h.renderStatus(c, fiber.StatusOK, cs, receipt, nil)
}

func (h *Handler) statusReply(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	receipt, body := c.FormValue("receipt"), c.FormValue("body")
	cs, st, err := h.lookup(c, receipt)
	if err != nil {
		return err
	}
	if st != fiber.StatusOK {
		return h.page(c, st, "public/status", statusPage{NotFound: st == fiber.StatusNotFound, Limited: st == fiber.StatusTooManyRequests})
	}
	_, err = h.Cases.Reply(c.UserContext(), receipt, body)
	var ve *cases.ValidationError
	if errors.As(err, &ve) {
		errs := map[string]string{}
		for _, fe := range ve.Fields {
			errs[fe.Field] = h.Catalog.T(Lang(c), fe.Key)
		}
		return h.renderStatus(c, fiber.StatusUnprocessableEntity, cs, receipt,
			&view.Data{Errors: errs, Form: map[string]string{"body": body}})
	}
	if err != nil {
		return err
	}
	cs, err = h.Cases.Get(c.UserContext(), cs.ID)
	if err != nil {
		return err
	}
	return h.renderStatus(c, fiber.StatusOK, cs, receipt, &view.Data{Page: "status.sent"})
}

func (h *Handler) statusHeard(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	receipt := c.FormValue("receipt")
	cs, st, err := h.lookup(c, receipt)
	if err != nil {
		return err
	}
	if st != fiber.StatusOK || h.Heard == nil {
		return h.page(c, st, "public/status", statusPage{NotFound: st == fiber.StatusNotFound, Limited: st == fiber.StatusTooManyRequests})
	}
	if v := c.FormValue("heard"); v == "yes" || v == "no" {
		if err := h.Heard(c, receipt, v == "yes", c.FormValue("reason")); err != nil {
			return err
		}
	}
	cs, err = h.Cases.Get(c.UserContext(), cs.ID)
	if err != nil {
		return err
	}
	return h.renderStatus(c, fiber.StatusOK, cs, receipt, &view.Data{Page: "status.heard_thanks"})
}
