// Package public serves the complainant's pages: home, intake form,
// receipt, status, privacy. Every page works without JavaScript, sets no
// cookie, and pages with her words are never cached.
package public

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/store"
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
	// Work, when set, bounds the form posts running at once (the server's
	// gate for anonymous work).
	Work *gate.Gate
	// TakeReport, when set, counts a new report against the per-client
	// limit and the desk's hourly ceiling.
	TakeReport func(c *fiber.Ctx) (*ratelimit.Attempt, error)
	// Heard, when set, records her answer after closing.
	Heard func(c *fiber.Ctx, caseID string, yes bool, reason string) error
	// Views holds the pages that are shown once and the forms' tokens.
	Views *Views
	Log   *slog.Logger
	// RetentionDays is how long after closing names and contacts are
	// kept (the configured retention, shown on the privacy page);
	// ContentRetentionDays how long what she wrote and the messages are
	// (0: the configuration's default).
	RetentionDays        int
	ContentRetentionDays int
}

// Routes mounts the public pages. Language-prefixed routes are checked by
// the lang middleware.
func (h *Handler) Routes(r fiber.Router) {
	r.Get("/", h.root)
	r.Get("/icon.svg", icon)
	lang := r.Group("/:lang", h.requireLang, h.noStore, h.limitBody, h.admit)
	lang.Get("/", h.home)
	lang.Get("/languages", h.languages)
	lang.Get("/report", h.reportForm)
	lang.Post("/report", h.limitReports, h.reportSubmit)
	lang.Get("/report/saved", h.savedPage)
	lang.Post("/report/saved", h.reportSaved)
	lang.Get("/status", h.statusForm)
	lang.Post("/status", h.statusLookup)
	lang.Post("/status/reply", h.statusReply)
	lang.Post("/status/heard", h.statusHeard)
	lang.Get("/v/:token", h.view)
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

// MaxFormBody is the largest body a public page reads. The API takes
// 64 KiB of JSON; a form is percent-encoded, which makes a Chinese or Thai
// character 9 bytes, so the longest valid report (10,000 characters and
// four short fields) is about 100 KB in those languages.
const MaxFormBody = 128 << 10

// limitBody refuses larger bodies before any field is parsed.
func (h *Handler) limitBody(c *fiber.Ctx) error {
	if !isLang(c) || len(c.Request().Body()) <= MaxFormBody {
		return c.Next()
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.View.Render(c, fiber.StatusRequestEntityTooLarge, "public/error", &view.Data{Lang: Lang(c),
		Page: struct{ Title, Text string }{"error.too_large_title", "error.too_large"}})
}

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
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/"+l+"/", fiber.StatusFound)
}

// neutralIcon is the public pages' icon: a plain dot, nothing that names
// the desk in a tab list.
const neutralIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="#777"/></svg>`

// icon is served no-store on purpose, and the layout names it under a new
// address on every page so the browser fetches it every time: Chromium
// keeps no page in its back/forward cache that received a no-store answer
// after loading, so Back asks the server again even with JavaScript off
// (with JavaScript, exit.js also reloads a page that comes back).
func icon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(neutralIcon)
}

func (h *Handler) page(c *fiber.Ctx, status int, name string, page any) error {
	return h.View.Render(c, status, name, &view.Data{Lang: Lang(c), Page: page})
}

func (h *Handler) home(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.View.Shared(c, "public/home", &view.Data{Lang: Lang(c)}, nil)
}

func (h *Handler) languages(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.View.Shared(c, "public/choose", &view.Data{Lang: Lang(c)}, nil)
}

func (h *Handler) privacy(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.View.Shared(c, "public/privacy", &view.Data{Lang: Lang(c), Page: h.privacyPage(Lang(c))}, nil)
}

type privacyPage struct{ Period, ContentPeriod string }

func (h *Handler) privacyPage(lang string) privacyPage {
	content := h.ContentRetentionDays
	if content <= 0 {
		content = max(730, h.RetentionDays) // the configuration's default
	}
	return privacyPage{Period: h.period(lang), ContentPeriod: h.periodOf(lang, content)}
}

// period says the retention in words: whole years or months where it is
// one, days otherwise.
func (h *Handler) period(lang string) string {
	d := h.RetentionDays
	if d <= 0 {
		d = 365 // the configuration's default
	}
	return h.periodOf(lang, d)
}

func (h *Handler) periodOf(lang string, d int) string {
	switch {
	case d%365 == 0:
		return h.Catalog.N(lang, "privacy.period_years", d/365)
	case d%30 == 0:
		return h.Catalog.N(lang, "privacy.period_months", d/30)
	}
	return h.Catalog.N(lang, "privacy.period_days", d)
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
	if !isLang(c) {
		return c.Next()
	}
	card := strings.ToUpper(strings.TrimSpace(c.Query("card")))
	if len(card) > 20 {
		card = ""
	}
	// The form is the same for every visitor but for its id, signature and
	// card code: rendered once, those filled in per visit.
	form := h.freshForm(card)
	fill := map[string]string{view.FormIDMark: form["id"], view.FormTokenMark: form["token"], view.FormCardMark: card}
	form["id"], form["token"], form["card"] = view.FormIDMark, view.FormTokenMark, view.FormCardMark
	return h.View.Shared(c, "public/report", &view.Data{Lang: Lang(c), Page: theForm, Form: form}, fill)
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

// admit runs form posts through the Work gate. When it stays full, her
// report comes back to her with what she typed; other posts get the busy
// page (503 with Retry-After).
func (h *Handler) admit(c *fiber.Ctx) error {
	if !isLang(c) || h.Work == nil || c.Method() != fiber.MethodPost {
		return c.Next()
	}
	release, err := h.Work.Acquire(c.UserContext())
	if errors.Is(err, gate.ErrBusy) && strings.HasSuffix(c.Path(), "/report") {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(gate.RetryAfter))
		return h.formAgain(c, fiber.StatusServiceUnavailable, "form.busy")
	}
	if err != nil {
		return err
	}
	defer release()
	return c.Next()
}

// caseMade is the Locals key reportSubmit sets once a case exists.
const caseMade = "public.case_made"

// limitReports counts a report before it is made, so parallel ones cannot
// all pass. Over the limit, or when the desk is too busy to take it now,
// the form comes back with what she typed. A submit that makes no case
// (invalid, refused, an error) is taken back.
func (h *Handler) limitReports(c *fiber.Ctx) error {
	if !isLang(c) || h.TakeReport == nil {
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

// formAgain shows the form with what she sent and a message on top.
func (h *Handler) formAgain(c *fiber.Ctx, status int, flash string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	form := map[string]string{}
	for _, f := range formFields {
		form[f] = c.FormValue(f)
	}
	return h.View.Render(c, status, "public/report", &view.Data{Lang: Lang(c), Page: theForm, Form: echo(form), Flash: flash})
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

// redirect answers a POST of hers with a redirect to a page that shows the
// outcome once (POST-redirect-GET): Reload and Back never send her form
// again, and the address holds nothing but a random token.
func (h *Handler) redirect(c *fiber.Ctx, v View) error {
	tok, err := h.Views.Put(c.UserContext(), v, ViewTTL)
	if err != nil {
		return err
	}
	return c.Redirect("/"+Lang(c)+"/v/"+tok, fiber.StatusSeeOther)
}

func (h *Handler) translate(c *fiber.Ctx, keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for f, k := range keys {
		out[f] = h.Catalog.T(Lang(c), k)
	}
	return out
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
		res, err = h.Cases.CreateForm(c.UserContext(), InputFromForm(form, lang))
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

// view shows a page that works once; a second time (Reload, Back, another
// person on the same phone) it says only that the page is closed.
func (h *Handler) view(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	v, ok, err := h.Views.Take(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	switch {
	case !ok:
	case v.Kind == viewReceipt:
		return h.showReceipt(c, v)
	case v.Kind == viewForm:
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/report",
			&view.Data{Lang: Lang(c), Page: theForm, Form: v.Form, Errors: h.translate(c, v.Errors), FieldOrder: reportFieldOrder})
	case v.Kind == viewStatus:
		return h.showStatus(c, v)
	case v.Kind == viewLookup:
		return h.page(c, fiber.StatusOK, "public/status", statusPage{Flash: v.Flash, Draft: v.Form["body"]})
	}
	return h.page(c, fiber.StatusGone, "public/gone", nil)
}

type receiptPage struct{ Receipt, Reference, Token string }

func (h *Handler) showReceipt(c *fiber.Ctx, v View) error {
	// The "I have saved it" form names the receipt by a token, so the
	// receipt is in no form the browser could keep or send again.
	tok, err := h.Views.Put(c.UserContext(), View{Kind: tokenSaved, Receipt: v.Receipt, Reference: v.Reference}, ActionTTL)
	if err != nil {
		return err
	}
	return h.View.Render(c, fiber.StatusOK, "public/receipt", &view.Data{Lang: Lang(c),
		Page: receiptPage{Receipt: v.Receipt, Reference: v.Reference, Token: tok}, Errors: h.translate(c, v.Errors)})
}

func (h *Handler) reportSaved(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	tok := c.FormValue("t")
	v, ok, err := h.Views.Peek(c.UserContext(), tok, tokenSaved)
	if err != nil {
		return err
	}
	if ok && c.FormValue("saved") != "yes" {
		return h.redirect(c, View{Kind: viewReceipt, Receipt: v.Receipt, Reference: v.Reference,
			Errors: map[string]string{"saved": "receipt.confirm_needed"}})
	}
	if ok {
		if err := h.Views.Drop(c.UserContext(), tok); err != nil {
			return err
		}
	}
	return c.Redirect("/"+Lang(c)+"/report/saved", fiber.StatusSeeOther)
}

func (h *Handler) savedPage(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	return h.page(c, fiber.StatusOK, "public/saved", nil)
}

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
	if !isLang(c) {
		return c.Next()
	}
	// A failed look-up is the receipt field's error, tied to the field.
	switch c.Query("e") {
	case "not_found":
		return h.View.Render(c, fiber.StatusNotFound, "public/status", &view.Data{Lang: Lang(c), Page: statusPage{NotFound: true},
			Errors: map[string]string{"receipt": h.Catalog.T(Lang(c), "status.not_found") + " " + h.Catalog.T(Lang(c), "status.not_found_outreach")}})
	case "too_many":
		return h.View.Render(c, fiber.StatusTooManyRequests, "public/status", &view.Data{Lang: Lang(c), Page: statusPage{Limited: true},
			Errors: h.translate(c, map[string]string{"receipt": "error.too_many"})})
	case "check":
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "public/status", &view.Data{Lang: Lang(c), Page: statusPage{Typo: true},
			Errors: h.translate(c, map[string]string{"receipt": "status.check_digits"})})
	}
	return h.View.Shared(c, "public/status", &view.Data{Lang: Lang(c), Page: statusPage{}}, nil)
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
	cs, err := h.Cases.Get(c.UserContext(), v.Case)
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
	return h.View.Render(c, status, "public/status", &view.Data{Lang: Lang(c), Page: p, Form: v.Form, Errors: h.translate(c, v.Errors)})
}

func (h *Handler) statusLookup(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
	cs, st, err := h.lookup(c, c.FormValue("receipt"))
	if err != nil {
		return err
	}
	switch st {
	case fiber.StatusTooManyRequests:
		return c.Redirect("/"+Lang(c)+"/status?e=too_many", fiber.StatusSeeOther)
	case fiber.StatusNotFound:
		return c.Redirect("/"+Lang(c)+"/status?e=not_found", fiber.StatusSeeOther)
	case fiber.StatusUnprocessableEntity:
		return c.Redirect("/"+Lang(c)+"/status?e=check", fiber.StatusSeeOther)
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

func (h *Handler) statusReply(c *fiber.Ctx) error {
	if !isLang(c) {
		return c.Next()
	}
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
	if !isLang(c) {
		return c.Next()
	}
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
