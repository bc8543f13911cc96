package cardsui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cards/cardstest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestCardToCaseOnTheRealServer follows a card from the coordinator's
// form through the printed QR code and the scan to a filed case, on the
// real server: the case carries the card's batch.
func TestCardToCaseOnTheRealServer(t *testing.T) {
	env := servertest.Start(t)
	coord := stafftest.SignIn(t, env, "coordinator")

	// The form's own CSRF token (the same as the session's).
	status, body := coord.Page("/staff/cards/new")
	if status != http.StatusOK {
		t.Fatalf("new batch form: %d", status)
	}
	formDoc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	csrf := formDoc.Find(`form input[name="_csrf"]`).First().AttrOr("value", "")
	if csrf == "" {
		t.Fatal("no CSRF token on the form")
	}
	res := coord.PostForm("/staff/cards", url.Values{"_csrf": {csrf}, "label": {"Zandpad winter"}, "count": {"3"}, "language": {"bg"},
		"area": {"Utrecht"}, "variant": {"evening"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create batch: %d %s", res.StatusCode, stafftest.ReadBody(res))
	}
	batchPath := res.Header.Get("Location")
	batch := strings.TrimPrefix(batchPath, "/staff/cards/")
	res.Body.Close()

	status, body = coord.Page(batchPath + "/print")
	if status != http.StatusOK {
		t.Fatalf("print page: %d", status)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	doc.Find(".qr-card").Each(func(_ int, s *goquery.Selection) {
		svg, _ := goquery.OuterHtml(s.Find("svg.qr"))
		d, err := cardstest.DecodeSVG(svg)
		if err != nil {
			t.Fatal(err)
		}
		code := s.AttrOr("data-code", "")
		if want := env.Config.PublicURL + "/c/" + code; d.Text != want {
			t.Fatalf("QR code reads %q, want %q", d.Text, want)
		}
		codes = append(codes, code)
	})
	if len(codes) != 3 {
		t.Fatalf("%d cards on the sheet, want 3", len(codes))
	}

	// She scans the second card: the form opens in the batch's language
	// with the card in it.
	r := env.Get(t, "/c/"+codes[1], "User-Agent", "Visitor-Agent/1.0")
	want := "/bg/report?card=" + codes[1]
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("scan: %d %q, want 303 %q", r.StatusCode, r.Header.Get("Location"), want)
	}
	if !strings.Contains(r.Header.Get("Cache-Control"), "no-store") || len(r.Header.Values("Set-Cookie")) > 0 {
		t.Fatalf("scan: Cache-Control %q, cookies %v", r.Header.Get("Cache-Control"), r.Header.Values("Set-Cookie"))
	}
	form := env.Get(t, want)
	if form.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", form.StatusCode)
	}
	fdoc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(form.Body)))
	if got := fdoc.Find(`input[name="card"]`).AttrOr("value", ""); got != codes[1] {
		t.Fatalf("form carries card %q, want %q", got, codes[1])
	}

	// An unknown code lands on the form too, without a card.
	r = env.Get(t, "/c/ZZZZ-ZZZZ")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/nl/report" {
		t.Fatalf("unknown code: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if f := env.Get(t, r.Header.Get("Location")); f.StatusCode != http.StatusOK {
		t.Fatalf("unknown code's form: %d", f.StatusCode)
	}

	// The case filed from the card carries its batch (the card typed in
	// lower case works too).
	rep := env.PostJSON(t, "/api/v1/reports", map[string]any{
		"kind": "complaint", "category": "police", "description": "Bij de controle werd ik uitgelachen.",
		"wish": "heard", "identity": map[string]any{"mode": "anonymous"}, "language": "bg",
		"card": strings.ToLower(codes[1]),
	})
	if rep.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d %s", rep.StatusCode, rep.Body)
	}
	var out struct{ Reference string }
	rep.JSON(t, &out)
	var c bson.M
	if err := env.Deps.Store.C("cases").FindOne(context.Background(), bson.D{{Key: "reference", Value: out.Reference}}).Decode(&c); err != nil {
		t.Fatalf("case %s: %v", out.Reference, err)
	}
	if c["batch"] != batch {
		t.Fatalf("case batch = %v, want %s", c["batch"], batch)
	}

	// The batch list counts it: printed 3, scanned 1, one case.
	status, body = coord.Page("/staff/cards")
	if status != http.StatusOK {
		t.Fatalf("list: %d", status)
	}
	ldoc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	var nums []string
	ldoc.Find(`tr.card-batch[data-batch="` + batch + `"] td.num`).Each(func(_ int, s *goquery.Selection) { nums = append(nums, s.Text()) })
	if strings.Join(nums, " ") != "3 3 0 1 1" {
		t.Fatalf("list shows count/printed/handed out/scans/cases %v, want [3 3 0 1 1]", nums)
	}
}
