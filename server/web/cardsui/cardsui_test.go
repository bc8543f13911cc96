package cardsui_test

import (
	"context"
	"encoding/json"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/assets"
	catalogs "github.com/gehoord/gehoord/i18n"
	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cards/cardstest"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/web/cardsui"
	"github.com/gehoord/gehoord/server/web/view"
)

const publicURL = "https://gehoord.example.nl"

type env struct {
	app   *fiber.App
	cards *cards.Service
	store *store.Store
}

// fakeRequire stands in for auth.Require: the role comes from a test
// header, as if a session had been loaded.
func fakeRequire(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		role := c.Get("X-Test-Role")
		if role == "" {
			return c.Redirect("/staff/signin", fiber.StatusSeeOther)
		}
		if !slices.Contains(roles, role) {
			return fiber.ErrForbidden
		}
		c.Locals("view_user", &view.User{ID: "user-1", Name: "Test", Role: role})
		c.Locals("lang", "nl")
		c.Locals("csrf", "token")
		return c.Next()
	}
}

func newEnv(t *testing.T) *env { return newEnvWith(t, i18n.Default()) }

func newEnvWith(t *testing.T, cat *i18n.Catalog) *env {
	t.Helper()
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, cards.Indexes()...); err != nil {
		t.Fatal(err)
	}
	svc := cards.NewService(cards.Config{Store: st, Languages: cases.PublicLanguages})
	as, err := view.NewAssets(assets.FS, "/assets/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := view.New(cat, as, cases.PublicLanguages, cardsui.Templates())
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/assets/*", func(c *fiber.Ctx) error {
		a, ok := as.ByHashed(c.Params("*"))
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, a.Type)
		return c.Send(a.Body)
	})
	cardsui.New(cardsui.Handler{Cards: svc, View: r, Catalog: cat, PublicURL: publicURL,
		Languages: cases.PublicLanguages, Require: fakeRequire}).Routes(app)
	return &env{app: app, cards: svc, store: st}
}

func (e *env) do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	res, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func (e *env) get(t *testing.T, path, role string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if role != "" {
		req.Header.Set("X-Test-Role", role)
	}
	return e.do(t, req)
}

func (e *env) batch(t *testing.T, n int, lang string) (*cards.Batch, []string) {
	t.Helper()
	b, err := e.cards.Create(context.Background(), cards.NewBatch{Label: "Zandpad winter", Count: n, Language: lang, Area: "Utrecht", Variant: cards.VariantEvening}, "user-1")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := e.cards.Codes(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b, codes
}

func scans(t *testing.T, e *env) int {
	t.Helper()
	stats, err := e.cards.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range stats {
		n += s.Scans
	}
	return n
}

func TestScanRedirectsToTheFormInTheBatchLanguage(t *testing.T) {
	e := newEnv(t)
	_, codes := e.batch(t, 3, "ro")
	code := codes[1]
	for _, tc := range []struct{ path, lang, want string }{
		{"/c/" + code, "", "/ro/report?card=" + code},
		{"/c/" + strings.ToLower(code[:4]) + "-" + strings.ToLower(code[4:]), "", "/ro/report?card=" + code},
		{"/c/" + code + "?lang=pl", "", "/pl/report?card=" + code},
		{"/c/" + code + "?lang=xx", "", "/ro/report?card=" + code},
		// Her browser's language does not override the card's.
		{"/c/" + code, "uk", "/ro/report?card=" + code},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.lang != "" {
			req.Header.Set("Accept-Language", tc.lang)
		}
		res := e.do(t, req)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
			t.Errorf("GET %s: %d %q, want 303 %q", tc.path, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", tc.path, res.Header.Get("Cache-Control"))
		}
		if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("GET %s sets cookies %v", tc.path, c)
		}
	}
	if n := scans(t, e); n != 5 {
		t.Fatalf("scans counted = %d, want 5", n)
	}
	// A HEAD (a link preview) leads the same way and counts nothing.
	res := e.do(t, httptest.NewRequest(http.MethodHead, "/c/"+code, nil))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ro/report?card="+code {
		t.Fatalf("HEAD: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := scans(t, e); n != 5 {
		t.Fatalf("HEAD counted a scan: %d", n)
	}
}

func TestUnknownCodeStillLandsOnTheForm(t *testing.T) {
	e := newEnv(t)
	e.batch(t, 1, "ro")
	for _, tc := range []struct{ path, lang, want string }{
		{"/c/ZZZZZZZZ", "", "/nl/report"},
		{"/c/ZZZZZZZZ", "bg,en;q=0.5", "/bg/report"},
		{"/c/typo", "", "/nl/report"},
		{"/c/" + strings.Repeat("x", 300), "", "/nl/report"},
		{"/c/ZZZZZZZZ?lang=es", "ro", "/es/report"},
		{"/c", "", "/nl/report"},
		{"/c/", "pl", "/pl/report"},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.lang != "" {
			req.Header.Set("Accept-Language", tc.lang)
		}
		res := e.do(t, req)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
			t.Errorf("GET %s: %d %q, want 303 %q", tc.path, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", tc.path, res.Header.Get("Cache-Control"))
		}
	}
	if n, _ := e.store.C("card_scans").CountDocuments(context.Background(), bson.D{}); n != 0 {
		t.Fatalf("unknown codes stored %d scan documents", n)
	}
}

// TestScanStoresNothingAboutTheVisitor scans with a recognisable address,
// user agent and language, then reads every document of every collection.
func TestScanStoresNothingAboutTheVisitor(t *testing.T) {
	e := newEnv(t)
	_, codes := e.batch(t, 2, "en")
	ctx := context.Background()
	req := httptest.NewRequest(http.MethodGet, "/c/"+codes[0], nil)
	req.RemoteAddr = "203.0.113.77:40404"
	req.Header.Set("X-Forwarded-For", "198.51.100.99")
	req.Header.Set("User-Agent", "Visitor-Agent/9.9 (PhoneModelX)")
	req.Header.Set("Accept-Language", "hu")
	req.Header.Set("Referer", "https://referrer.example/page")
	if res := e.do(t, req); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	names, err := e.store.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		cur, err := e.store.C(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			b, _ := bson.MarshalExtJSON(d, false, false)
			for _, bad := range []string{"203.0.113", "198.51.100", "Visitor-Agent", "PhoneModelX", "referrer.example", `"hu"`} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s holds %q: %s", name, bad, b)
				}
			}
			if name == "card_scans" {
				for k := range d {
					// _rev is the store's revision: it counts writes, as n does.
					if !slices.Contains([]string{"_id", "_rev", "batch", "day", "n"}, k) {
						t.Errorf("scan document has field %q: %s", k, b)
					}
				}
				if strings.Contains(string(b), codes[0]) {
					t.Errorf("scan document names the card: %s", b)
				}
			}
		}
	}
	var scan bson.M
	if err := e.store.C("card_scans").FindOne(ctx, bson.D{}).Decode(&scan); err != nil {
		t.Fatalf("no scan counted: %v", err)
	}
}

func sheetDoc(t *testing.T, e *env, batch string) *goquery.Document {
	t.Helper()
	res := e.get(t, "/staff/cards/"+batch+"/print", "coordinator")
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("print page: %d %s", res.StatusCode, b)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEveryQRCodeOnASheetDecodesToItsAddress(t *testing.T) {
	e := newEnv(t)
	b, codes := e.batch(t, 25, "ro")
	doc := sheetDoc(t, e, b.ID)
	if n := doc.Find("section.sheet").Length(); n != 3 {
		t.Fatalf("%d sheets for 25 cards, want 3", n)
	}
	perSheet := []int{}
	doc.Find("section.sheet").Each(func(_ int, s *goquery.Selection) {
		perSheet = append(perSheet, s.Find(".qr-card").Length())
		if m := s.Find(".cm").Length(); m != 18 {
			t.Errorf("sheet has %d cut marks, want 18", m)
		}
	})
	if !slices.Equal(perSheet, []int{10, 10, 5}) {
		t.Fatalf("cards per sheet %v, want [10 10 5]", perSheet)
	}
	var seen []string
	doc.Find(".qr-card").Each(func(i int, s *goquery.Selection) {
		code, _ := s.Attr("data-code")
		seen = append(seen, code)
		svg, err := goquery.OuterHtml(s.Find("svg.qr"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := cardstest.DecodeSVG(svg)
		if err != nil {
			t.Fatalf("card %d: %v", i, err)
		}
		if want := publicURL + "/c/" + code; d.Text != want || d.Level != "Q" {
			t.Errorf("card %d decodes to %q (level %s), want %q at Q", i, d.Text, d.Level, want)
		}
		if got := s.Find(".address").Text(); got != "gehoord.example.nl/c/"+code {
			t.Errorf("card %d address %q", i, got)
		}
		var langs []string
		s.Find(".line").Each(func(_ int, l *goquery.Selection) { langs = append(langs, l.AttrOr("lang", "")) })
		if !slices.Equal(langs, []string{"ro", "nl", "en"}) && !slices.Equal(langs, []string{"en", "nl"}) {
			t.Errorf("card %d lines in %v", i, langs)
		}
		if s.Find(".receipt-box .digits span.group span").Length() != 16 {
			t.Errorf("card %d: receipt box without 16 digit boxes", i)
		}
	})
	if !slices.Equal(seen, codes) {
		t.Fatalf("cards on the sheet %v, want the batch's codes %v", seen, codes)
	}
	// Nothing on a card names what the desk is for.
	text := strings.ToLower(doc.Find(".qr-card").Text())
	for _, word := range []string{"sekswerk", "sex work", "prostitu", "ggd", "soa", "sti", "health"} {
		if strings.Contains(text, word) {
			t.Errorf("a card says %q", word)
		}
	}
	got, err := e.cards.Get(context.Background(), b.ID)
	if err != nil || got.Printed != 25 || got.PrintedAt.IsZero() {
		t.Fatalf("batch not marked printed: %+v %v", got, err)
	}
}

func TestCardLinesFallBackToEnglish(t *testing.T) {
	e := newEnv(t)
	b, _ := e.batch(t, 1, "nl")
	doc := sheetDoc(t, e, b.ID)
	var langs []string
	doc.Find(".qr-card .line").Each(func(_ int, l *goquery.Selection) { langs = append(langs, l.AttrOr("lang", "")) })
	if !slices.Equal(langs, []string{"nl", "en"}) {
		t.Fatalf("nl card lines %v, want [nl en]", langs)
	}

	// A language whose catalog lacks the line prints English in its place:
	// here Romanian, with the line taken out of its catalog.
	e = newEnvWith(t, catalogWithout(t, "ro", cards.VariantEvening.LineKey(), "cards.line.number"))
	b, _ = e.batch(t, 1, "ro")
	doc = sheetDoc(t, e, b.ID)
	langs = nil
	doc.Find(".qr-card .line").Each(func(_ int, l *goquery.Selection) { langs = append(langs, l.AttrOr("lang", "")) })
	if !slices.Equal(langs, []string{"en", "nl"}) {
		t.Fatalf("ro card without the line: lines %v, want [en nl]", langs)
	}
	if got := doc.Find(".receipt-label").Text(); got != "Your number" {
		t.Fatalf("receipt label %q, want the English one", got)
	}
}

// catalogWithout is the real catalogs with keys removed from one language
// (which is made if it does not exist yet).
func catalogWithout(t *testing.T, lang string, keys ...string) *i18n.Catalog {
	t.Helper()
	m := fstest.MapFS{}
	files, _ := fs.Glob(catalogs.FS, "*.json")
	for _, f := range files {
		b, _ := fs.ReadFile(catalogs.FS, f)
		m[f] = &fstest.MapFile{Data: b}
	}
	msgs := map[string]any{"_.code": lang, "_.name": lang}
	if f, ok := m[lang+".json"]; ok {
		if err := json.Unmarshal(f.Data, &msgs); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		delete(msgs, k)
	}
	b, _ := json.Marshal(msgs)
	m[lang+".json"] = &fstest.MapFile{Data: b}
	cat, err := i18n.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestCreateBatchFromTheForm(t *testing.T) {
	e := newEnv(t)
	if res := e.get(t, "/staff/cards/new", "coordinator"); res.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", res.StatusCode)
	}
	post := func(v url.Values) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/staff/cards", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Test-Role", "coordinator")
		return e.do(t, req)
	}
	res := post(url.Values{"label": {""}, "count": {"0"}, "language": {"nl"}, "area": {"Atlantis"}, "variant": {"plain"}, "_csrf": {"token"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	doc, _ := goquery.NewDocumentFromReader(res.Body)
	if doc.Find(".field-error").Length() != 3 || doc.Find("#f-area").AttrOr("value", "") != "Atlantis" {
		t.Fatalf("errors not shown or input lost: %d errors", doc.Find(".field-error").Length())
	}
	res = post(url.Values{"label": {"Den Haag Geleenstraat"}, "count": {"12"}, "language": {"bg"}, "area": {"den haag"}, "variant": {"evening"}, "_csrf": {"token"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/staff/cards/B") {
		t.Fatalf("create redirects to %q", loc)
	}
	b, err := e.cards.Get(context.Background(), strings.TrimPrefix(loc, "/staff/cards/"))
	if err != nil || b.Count != 12 || b.Language != "bg" || b.Municipality != "'s-Gravenhage" || b.Region != "Haaglanden" || b.CreatedBy != "user-1" {
		t.Fatalf("batch %+v %v", b, err)
	}
	res = e.get(t, loc, "admin")
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("batch page: %d %s", res.StatusCode, body)
	}
	doc, _ = goquery.NewDocumentFromReader(res.Body)
	if n := doc.Find(".card-codes li").Length(); n != 12 {
		t.Fatalf("batch page lists %d codes", n)
	}
	res = e.get(t, "/staff/cards", "coordinator")
	doc, _ = goquery.NewDocumentFromReader(res.Body)
	if doc.Find(`tr.card-batch[data-batch="`+b.ID+`"]`).Length() != 1 {
		t.Fatalf("batch not in the list")
	}
}

func TestStaffPagesNeedTheRightRole(t *testing.T) {
	e := newEnv(t)
	b, codes := e.batch(t, 2, "en")
	for _, p := range []string{"/staff/cards", "/staff/cards/new", "/staff/cards/" + b.ID, "/staff/cards/" + b.ID + "/print"} {
		if res := e.get(t, p, ""); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s without session: %d", p, res.StatusCode)
		}
		if res := e.get(t, p, "outreach"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s as outreach: %d", p, res.StatusCode)
		}
		if res := e.get(t, p, "handler"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s as handler: %d", p, res.StatusCode)
		}
	}
	if res := e.get(t, "/staff/cards/B999/print", "coordinator"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown batch: %d", res.StatusCode)
	}
	// Outreach workers show a card on their tablet.
	res := e.get(t, "/staff/cards/card/"+codes[0], "outreach")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("full-screen card: %d", res.StatusCode)
	}
	doc, _ := goquery.NewDocumentFromReader(res.Body)
	svg, _ := goquery.OuterHtml(doc.Find("svg.qr"))
	if d, err := cardstest.DecodeSVG(svg); err != nil || d.Text != publicURL+"/c/"+codes[0] {
		t.Fatalf("full-screen card decodes to %+v %v", d, err)
	}
	res = e.get(t, "/staff/cards/card/"+codes[0]+"/qr.png", "outreach")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	img, err := png.Decode(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := cardstest.DecodeImage(img); err != nil || d.Text != publicURL+"/c/"+codes[0] || img.Bounds().Dx() < 1200 {
		t.Fatalf("png decodes to %+v %v (%d px)", d, err, img.Bounds().Dx())
	}
	if res := e.get(t, "/staff/cards/card/ZZZZZZZZ", "outreach"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown card: %d", res.StatusCode)
	}
}
