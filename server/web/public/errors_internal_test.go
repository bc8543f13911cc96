package public

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/assets"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/web/view"
)

// renderPage renders one public page with the given errors, as a handler
// would, and parses it.
func renderPage(t *testing.T, name string, d *view.Data) *goquery.Document {
	t.Helper()
	cat := i18n.Default()
	as, err := view.NewAssets(assets.FS, "/assets/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := view.New(cat, as, cases.PublicLanguages, Templates())
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return r.Render(c, fiber.StatusUnprocessableEntity, name, d) })
	res, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkErrorsTied: every error message on the page (id err-X) is named by
// its own field f-X in aria-describedby, and that field is aria-invalid.
// It returns the fields that have an error, in page order.
func checkErrorsTied(t *testing.T, page string, doc *goquery.Document) []string {
	t.Helper()
	var fields []string
	doc.Find(`[id^="err-"]`).Each(func(_ int, e *goquery.Selection) {
		id, _ := e.Attr("id")
		field := strings.TrimPrefix(id, "err-")
		fields = append(fields, field)
		f := doc.Find("#f-" + field)
		if f.Length() != 1 {
			t.Errorf("%s: error %s has no field f-%s", page, id, field)
			return
		}
		if d, _ := f.Attr("aria-describedby"); !slices.Contains(strings.Fields(d), id) {
			t.Errorf("%s: field f-%s does not name its error %s (aria-describedby=%q)", page, field, id, d)
		}
		if field == "form" {
			return // the whole form: a form is not "invalid", its summary says why
		}
		if v, _ := f.Attr("aria-invalid"); v != "true" {
			t.Errorf("%s: field f-%s with an error is not aria-invalid", page, field)
		}
	})
	return fields
}

// TestEveryFieldErrorIsTiedToItsField renders the public forms with an
// error on every field: each error is referenced by its field, the error
// summary lists them in the form's order, and the page title says there
// are errors, in the page's language.
func TestEveryFieldErrorIsTiedToItsField(t *testing.T) {
	cat := i18n.Default()
	errs := map[string]string{}
	for _, f := range reportFieldOrder {
		errs[f] = "problem with " + f
	}
	form := map[string]string{"identity_mode": "named"}
	doc := renderPage(t, "public/report", &view.Data{Lang: "nl", Page: theForm, Form: form, Errors: errs, FieldOrder: reportFieldOrder})
	got := checkErrorsTied(t, "report", doc)
	if !slices.Equal(got, reportFieldOrder) {
		t.Errorf("report: errors shown for %v, want every field %v", got, reportFieldOrder)
	}
	var summary []string
	doc.Find(".error-summary a").Each(func(_ int, a *goquery.Selection) {
		h, _ := a.Attr("href")
		summary = append(summary, strings.TrimPrefix(h, "#f-"))
	})
	if !slices.Equal(summary, reportFieldOrder) {
		t.Errorf("error summary order %v, want the form's order %v", summary, reportFieldOrder)
	}
	if title, want := doc.Find("title").Text(), cat.T("nl", "form.errors_page_title"); !strings.HasPrefix(title, want) {
		t.Errorf("title %q does not say there are errors (%q)", title, want)
	}
	if title := renderPage(t, "public/report", &view.Data{Lang: "nl", Page: theForm, Form: form}).Find("title").Text(); title != "Gehoord" {
		t.Errorf("title without errors = %q", title)
	}

	// Her thread: the reply field.
	doc = renderPage(t, "public/status", &view.Data{Lang: "en", Page: statusPage{Found: true, CanReply: true, State: "received"},
		Errors: map[string]string{"body": "too long"}})
	if got := checkErrorsTied(t, "status reply", doc); !slices.Equal(got, []string{"body"}) {
		t.Errorf("status reply: errors %v", got)
	}
	// The look-up: the receipt field.
	doc = renderPage(t, "public/status", &view.Data{Lang: "en", Page: statusPage{NotFound: true},
		Errors: map[string]string{"receipt": "not found"}})
	if got := checkErrorsTied(t, "status look-up", doc); !slices.Equal(got, []string{"receipt"}) {
		t.Errorf("status look-up: errors %v", got)
	}
	// The receipt page's "I have saved it".
	doc = renderPage(t, "public/receipt", &view.Data{Lang: "en", Page: receiptPage{Receipt: "1234567812345678", Reference: "GH-1", Token: "x"},
		Errors: map[string]string{"saved": "tick the box"}})
	if got := checkErrorsTied(t, "receipt", doc); !slices.Equal(got, []string{"saved"}) {
		t.Errorf("receipt: errors %v", got)
	}
}

// TestChinesePagesDeclareZhHans: a Chinese page says lang="zh-Hans", and
// so do the links to the Chinese pages in every language's chooser; the
// address stays /zh/.
func TestChinesePagesDeclareZhHans(t *testing.T) {
	doc := renderPage(t, "public/home", &view.Data{Lang: "zh", Path: "/"})
	if l, _ := doc.Find("html").Attr("lang"); l != "zh-Hans" {
		t.Errorf("zh page: html lang=%q", l)
	}
	doc = renderPage(t, "public/choose", &view.Data{Lang: "nl", Path: "/languages"})
	a := doc.Find(`main a[href="/zh/"]`)
	if l, _ := a.Attr("lang"); l != "zh-Hans" {
		t.Errorf("chooser link to /zh/: lang=%q", l)
	}
	if l, _ := doc.Find(`footer a[href="/zh/languages"]`).Attr("lang"); l != "zh-Hans" {
		t.Errorf("footer link to /zh/: lang=%q", l)
	}
	if l, _ := doc.Find("html").Attr("lang"); l != "nl" {
		t.Errorf("nl page: html lang=%q", l)
	}
	// The promise is in the home page's header, right under the name.
	doc = renderPage(t, "public/home", &view.Data{Lang: "nl", Path: "/"})
	if p := doc.Find("header .brand").Next(); !p.HasClass("promise") {
		t.Errorf("home: after the name comes %q, not the promise", p.Text())
	}
}

// TestPrivacyPageSaysTheConfiguredRetention: the privacy page states the
// retention the desk is configured with, not a fixed year.
func TestPrivacyPageSaysTheConfiguredRetention(t *testing.T) {
	cat := i18n.Default()
	for days, want := range map[int]map[string]string{
		365: {"nl": "een jaar", "en": "one year"},
		730: {"nl": "2 jaar", "pl": "2 lata", "ru": "2 года"},
		180: {"nl": "6 maanden", "en": "6 months"},
		45:  {"nl": "45 dagen", "zh": "45 天"},
	} {
		h := &Handler{Catalog: cat, RetentionDays: days}
		for lang, w := range want {
			if got := h.period(lang); got != w {
				t.Errorf("%d days in %s = %q, want %q", days, lang, got, w)
			}
		}
	}
	// What she wrote is erased later (the content retention): the page
	// says when, instead of implying it is kept for ever.
	h := &Handler{Catalog: cat, RetentionDays: 180, ContentRetentionDays: 730}
	doc := renderPage(t, "public/privacy", &view.Data{Lang: "en", Page: h.privacyPage("en")})
	text := doc.Find("main").Text()
	for _, want := range []string{"are erased 6 months after your case is closed", "are erased 2 years after your case is closed"} {
		if !strings.Contains(text, want) {
			t.Errorf("privacy page does not say %q: %q", want, text)
		}
	}
	if strings.Contains(text, "{") {
		t.Errorf("privacy page has an unfilled placeholder: %q", text)
	}
}
