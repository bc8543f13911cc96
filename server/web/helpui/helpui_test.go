package helpui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/assets"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/web/helpui"
	"github.com/gehoord/gehoord/server/web/problem"
	"github.com/gehoord/gehoord/server/web/view"
)

const testCSRF = "test-csrf-token"

// newApp mounts the handler on a bare app. The staff guard stands in for
// auth.Require: it signs in a coordinator and checks the CSRF field the
// same way; the real guard is tested in server/web/auth and in the server
// package, which mounts the routes.
func newApp(t *testing.T) (*fiber.App, *socialmap.Service) {
	t.Helper()
	cat := i18n.Default()
	as, err := view.NewAssets(assets.FS, "/assets/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := view.New(cat, as, cases.PublicLanguages, helpui.Templates())
	if err != nil {
		t.Fatal(err)
	}
	svc := socialmap.NewService(storetest.New(t))
	h := &helpui.Handler{Map: svc, View: r, Catalog: cat, Guard: func(c *fiber.Ctx) error {
		c.Locals("csrf", testCSRF)
		c.Locals("lang", "en")
		c.Locals("view_user", &view.User{ID: "u1", Name: "Coordinator", Role: "coordinator"})
		if c.Method() == fiber.MethodPost && c.FormValue("_csrf") != testCSRF {
			return fiber.ErrForbidden
		}
		return c.Next()
	}}
	// The app's one error mapping, as the server installs it (statuses
	// only: this app has no error templates).
	errs := &problem.Handler{Catalog: cat, Log: slog.New(slog.DiscardHandler)}
	app := fiber.New(fiber.Config{ErrorHandler: errs.Handle})
	h.Routes(app)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app, svc
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, *goquery.Document) {
	t.Helper()
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return res, doc
}

func get(t *testing.T, app *fiber.App, path string) (*http.Response, *goquery.Document) {
	return do(t, app, httptest.NewRequest(http.MethodGet, path, nil))
}

func post(t *testing.T, app *fiber.App, path string, form url.Values) (*http.Response, *goquery.Document) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, app, req)
}

func seed(t *testing.T, svc *socialmap.Service) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []socialmap.Organisation{
		{Key: "hague-project", Name: "Haags Sekswerk Project", Topics: []string{"health", "legal"},
			Municipalities: []string{"'s-Gravenhage"}, Languages: []string{"nl", "ro", "th"}, Phone: "+31 70 000 0000",
			Hours: "ma-vr 10-22", Evening: true, BySexWorkers: true, VerifiedOn: "2026-11-20"},
		{Key: "haaglanden-legal", Name: "Rechtswinkel Haaglanden", Topics: []string{"legal"}, Regions: []string{"Haaglanden"},
			Languages: []string{"nl"}, Web: "https://example.org", VerifiedOn: "2026-11-21"},
		{Key: "national-legal", Name: "Landelijk Advies", Topics: []string{"legal"}, Regions: []string{"national"},
			Languages: []string{"nl", "en"}, Web: "https://example.net", VerifiedOn: "2026-11-22"},
		{Key: "unverified", Name: "Nog Niet Gecontroleerd", Topics: []string{"legal"}, Regions: []string{"national"},
			Languages: []string{"nl"}, Web: "https://example.com"},
	} {
		if _, err := svc.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHelpPage(t *testing.T) {
	app, svc := newApp(t)
	seed(t, svc)

	res, doc := get(t, app, "/ro/help")
	if res.StatusCode != 200 {
		t.Fatalf("form: %d", res.StatusCode)
	}
	if n := doc.Find("datalist#municipalities option").Length(); n != 342 {
		t.Errorf("datalist has %d municipalities", n)
	}
	if n := doc.Find("select#f-region option").Length(); n != 26 {
		t.Errorf("region select has %d options", n)
	}
	if doc.Find("form[method=get][action='/ro/help']").Length() != 1 || doc.Find("script:not([src])").Length() != 0 {
		t.Error("want a plain GET form and no inline script")
	}
	if doc.Find(".org").Length() != 0 {
		t.Error("results before searching")
	}

	res, doc = get(t, app, "/en/help?place=Den+Haag&topic=legal&region=")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("search: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var names []string
	doc.Find(".org h4").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if got := strings.Join(names, "|"); got != "Haags Sekswerk Project|Rechtswinkel Haaglanden|Landelijk Advies" {
		t.Fatalf("results: %s", got)
	}
	if h := doc.Find(".help-results h3").First().Text(); h != "In 's-Gravenhage" {
		t.Errorf("first group heading %q", h)
	}
	first := doc.Find(".org").First()
	if !strings.Contains(first.Find(".badges").Text(), "Also in the evening") ||
		!strings.Contains(first.Find(".badges").Text(), "By or with sex workers") {
		t.Errorf("badges: %q", first.Find(".badges").Text())
	}
	if first.Find("span[lang=ro]").Text() != "Română" || first.Find("span[lang=th]").Text() != "ไทย" {
		t.Errorf("languages in their own names: %q", first.Find("dd span").Text())
	}
	if first.Find("a[href='tel:+31700000000']").Length() != 1 {
		t.Error("phone link missing")
	}
	if doc.Find("a[href='/en/report']").Length() == 0 {
		t.Error("no tell-us link")
	}

	// A region only; an unknown place falls back to the chosen region.
	_, doc = get(t, app, "/nl/help?place=Atlantis&region=Haaglanden&topic=legal")
	if doc.Find("#err-place").Length() != 1 || doc.Find(".org").Length() != 3 {
		t.Errorf("unknown place: %d results, %q", doc.Find(".org").Length(), doc.Find("#err-place").Text())
	}
	// Elsewhere: only the national one; never the unverified one.
	_, doc = get(t, app, "/nl/help?place=Zwolle&topic=legal")
	if doc.Find(".org").Length() != 1 || doc.Find(".org h4").Text() != "Landelijk Advies" {
		t.Errorf("Zwolle: %q", doc.Find(".org h4").Text())
	}
	_, doc = get(t, app, "/nl/help?place=Zwolle&topic=housing")
	if doc.Find(".org").Length() != 0 || doc.Find(".help-results h2").Text() != "0 organisaties gevonden" {
		t.Errorf("no results: %q", doc.Find(".help-results h2").Text())
	}

	if res, _ := get(t, app, "/xx/help"); res.StatusCode != 404 {
		t.Errorf("unknown language: %d", res.StatusCode)
	}
}

var rawKey = regexp.MustCompile(`\b(rights|help|socialmap)\.[a-z]`)

func TestRightsPages(t *testing.T) {
	app, _ := newApp(t)
	for _, lang := range []string{"nl", "en"} {
		res, doc := get(t, app, "/"+lang+"/rights")
		if res.StatusCode != 200 {
			t.Fatalf("%s index: %d", lang, res.StatusCode)
		}
		if n := doc.Find(".cards a").Length(); n != len(helpui.RightsTopics()) {
			t.Errorf("%s index lists %d topics", lang, n)
		}
		for _, topic := range helpui.RightsTopics() {
			res, doc := get(t, app, "/"+lang+"/rights/"+topic)
			if res.StatusCode != 200 {
				t.Fatalf("%s/%s: %d", lang, topic, res.StatusCode)
			}
			main := doc.Find("main").Text()
			if rawKey.MatchString(main) {
				t.Errorf("%s/%s shows a raw key", lang, topic)
			}
			if !strings.Contains(main, helpui.RightsChecked) {
				t.Errorf("%s/%s has no checked date", lang, topic)
			}
			if doc.Find("dl.routes dt").Length() < 2 {
				t.Errorf("%s/%s: no complaint routes", lang, topic)
			}
			if doc.Find("a[href='/"+lang+"/report']").Length() == 0 {
				t.Errorf("%s/%s: no tell-us link", lang, topic)
			}
		}
	}
	if res, _ := get(t, app, "/en/rights/astrology"); res.StatusCode != 404 {
		t.Errorf("unknown topic: %d", res.StatusCode)
	}
	_, doc := get(t, app, "/en/rights/refuse")
	if !strings.Contains(doc.Find("main").Text(), "Nederlandse Arbeidsinspectie") ||
		!strings.Contains(doc.Find("main").Text(), "Inspectie SZW") {
		t.Error("refuse page should name the Nederlandse Arbeidsinspectie (formerly Inspectie SZW)")
	}
}

func TestStaffSocialMap(t *testing.T) {
	app, svc := newApp(t)
	ctx := context.Background()

	res, doc := get(t, app, "/staff/socialmap")
	if res.StatusCode != 200 || !strings.Contains(doc.Find("main").Text(), "Import the sample file") {
		t.Fatalf("empty list: %d", res.StatusCode)
	}

	// Create: errors come back translated with what was typed kept.
	form := url.Values{"_csrf": {testCSRF}, "name": {"Spreekuur Zwolle"}, "languages": {"nl, xx-yy-zz"},
		"municipalities": {"Zwolle\nNergenshuizen"}}
	res, doc = post(t, app, "/staff/socialmap/new", form)
	if res.StatusCode != 422 {
		t.Fatalf("invalid create: %d", res.StatusCode)
	}
	if doc.Find("#f-name").AttrOr("value", "") != "Spreekuur Zwolle" || doc.Find(".error-summary li").Length() < 3 {
		t.Errorf("form errors: %q", doc.Find(".error-summary").Text())
	}
	if !strings.Contains(doc.Find(".error-summary").Text(), "\"Nergenshuizen\" is not a Dutch municipality") {
		t.Errorf("municipality error: %q", doc.Find(".error-summary").Text())
	}

	form = url.Values{"_csrf": {testCSRF}, "name": {"Spreekuur Zwolle"}, "languages": {"nl, en"},
		"topics": {"health", "listening"}, "regions": {"IJsselland"}, "municipalities": {"Zwolle"},
		"phone": {"038 000 0000"}, "evening": {"1"}, "verified_on": {"2026-11-27"}}
	res, _ = post(t, app, "/staff/socialmap/new", form)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/staff/socialmap?done=created" {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	o, err := svc.Get(ctx, "spreekuur-zwolle")
	if err != nil || !o.Evening || strings.Join(o.Topics, ",") != "health,listening" {
		t.Fatalf("created: %+v %v", o, err)
	}
	if res, _ := post(t, app, "/staff/socialmap/new", url.Values{"name": {"No token"}}); res.StatusCode != 403 {
		t.Errorf("without CSRF: %d", res.StatusCode)
	}

	// Edit keeps the key and shows the stored values.
	_, doc = get(t, app, "/staff/socialmap/spreekuur-zwolle/edit")
	if doc.Find("input[name=topics][value=health][checked]").Length() != 1 ||
		doc.Find("input[name=regions][value=IJsselland][checked]").Length() != 1 ||
		doc.Find("#f-languages").AttrOr("value", "") != "en, nl" {
		t.Error("edit form does not show the stored values")
	}
	form.Set("hours", "di 19-23")
	form.Set("key", "hijacked")
	res, _ = post(t, app, "/staff/socialmap/spreekuur-zwolle/edit", form)
	if res.StatusCode != 303 {
		t.Fatalf("update: %d", res.StatusCode)
	}
	if o, _ := svc.Get(ctx, "spreekuur-zwolle"); o.Hours != "di 19-23" {
		t.Errorf("update not saved: %+v", o)
	}
	if res, _ := get(t, app, "/staff/socialmap/nobody/edit"); res.StatusCode != 404 {
		t.Errorf("unknown edit: %d", res.StatusCode)
	}

	// Retire and bring back.
	post(t, app, "/staff/socialmap/spreekuur-zwolle/retire", url.Values{"_csrf": {testCSRF}, "retired": {"1"}})
	if o, _ := svc.Get(ctx, "spreekuur-zwolle"); !o.Retired {
		t.Error("not retired")
	}
	_, doc = get(t, app, "/staff/socialmap?retired=1")
	if doc.Find("tr.retired").Length() != 1 {
		t.Error("retired row not shown with the filter")
	}
	post(t, app, "/staff/socialmap/spreekuur-zwolle/retire", url.Values{"_csrf": {testCSRF}, "retired": {"0"}})
	if o, _ := svc.Get(ctx, "spreekuur-zwolle"); o.Retired {
		t.Error("not brought back")
	}

	// Import the sample through the upload form, then export.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", testCSRF)
	fw, _ := mw.CreateFormFile("file", "sample.csv")
	_, _ = fw.Write(socialmap.SampleCSV())
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/staff/socialmap/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, doc = do(t, app, req)
	if res.StatusCode != 200 || !strings.Contains(doc.Find(".flash").Text(), "6 new, 0 updated, 0 unchanged") {
		t.Fatalf("import: %d %q", res.StatusCode, doc.Find(".flash").Text())
	}
	_, doc = get(t, app, "/staff/socialmap?verify=1")
	if doc.Find("tbody tr").Length() != 6 {
		t.Errorf("to verify: %d rows", doc.Find("tbody tr").Length())
	}

	res, err = app.Test(httptest.NewRequest(http.MethodGet, "/staff/socialmap/export.csv", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") ||
		!bytes.HasPrefix(csvBody, []byte("\xef\xbb\xbfkey,name,")) || bytes.Count(csvBody, []byte("\n")) != 8 {
		t.Errorf("export: %s\n%s", res.Header, csvBody)
	}
}

// TestHelpTextsInHerLanguage: an organisation's description, walk-in and
// hours show in the reader's language where written; otherwise the text
// that exists is shown marked with its lang and named, never passed off
// as hers. The staff form keeps the translations.
func TestHelpTextsInHerLanguage(t *testing.T) {
	app, svc := newApp(t)
	ctx := context.Background()
	_, err := svc.Create(ctx, socialmap.Organisation{Key: "multi", Name: "Meertalig Project", Topics: []string{"legal"},
		Regions: []string{"national"}, Languages: []string{"nl", "ro"}, Web: "https://example.org", VerifiedOn: "2026-11-20",
		About: "Juridisch advies", WalkIn: "Dinsdag 14-17", Hours: "ma-vr 9-17",
		Texts: map[string]socialmap.LocalText{"ro": {About: "Sfaturi juridice", Hours: "luni-vineri 9-17"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, doc := get(t, app, "/ro/help?topic=legal&go=1")
	org := doc.Find(".org").First()
	if about := org.Find("p").Not(".badges, .meta").First(); about.Text() != "Sfaturi juridice" {
		t.Errorf("ro about = %q", about.Text())
	}
	if !strings.Contains(org.Find("dd").Text(), "luni-vineri 9-17") {
		t.Errorf("ro hours missing: %q", org.Find("dd").Text())
	}
	marked := org.Find(".text-lang").Prev()
	if l, _ := marked.Attr("lang"); marked.Length() != 1 || l != "nl" || marked.Text() != "Dinsdag 14-17" {
		t.Fatalf("the Dutch walk-in is not marked nl: %d %q", marked.Length(), marked.Text())
	}
	if note := org.Find(".text-lang").Text(); !strings.Contains(note, "Nederlands") {
		t.Errorf("the fallback does not say its language: %q", note)
	}
	_, doc = get(t, app, "/zh/help?topic=legal&go=1")
	if n := doc.Find(`.org .text-lang`).Prev().Filter(`[lang="nl"]`).Length(); n != 3 {
		t.Errorf("zh reader: %d Dutch texts marked, want 3", n)
	}

	// The staff form shows and keeps the translations.
	_, doc = get(t, app, "/staff/socialmap/multi/edit")
	if v := doc.Find(`textarea[name="about.ro"]`).Text(); v != "Sfaturi juridice" {
		t.Fatalf("edit form about.ro = %q", v)
	}
	form := url.Values{"_csrf": {testCSRF}, "name": {"Meertalig Project"}, "topics": {"legal"}, "regions": {"national"},
		"languages": {"nl, ro"}, "web": {"https://example.org"}, "verified_on": {"2026-11-20"}, "text_lang": {"nl"},
		"about": {"Juridisch advies"}, "about.ro": {"Sfaturi juridice"}, "walk_in.th": {"วันอังคาร 14-17"}}
	if res, _ := post(t, app, "/staff/socialmap/multi/edit", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	o, err := svc.Get(ctx, "multi")
	if err != nil {
		t.Fatal(err)
	}
	if o.Texts["ro"].About != "Sfaturi juridice" || o.Texts["ro"].Hours != "" || o.Texts["th"].WalkIn != "วันอังคาร 14-17" || len(o.Texts) != 2 {
		t.Fatalf("saved texts: %+v", o.Texts)
	}
}
