package cardsui_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cards/cardstest"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
)

// serve runs the test app on a loopback port.
func (e *env) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

var (
	pageRe     = regexp.MustCompile(`/Type\s*/Page[^s]`)
	mediaBoxRe = regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]`)
)

// outsideJS lists the parts of cards that stick out of their card (within
// 10 px, 2.6 mm, of its edge) or whose text is cut off.
const outsideJS = `[...document.querySelectorAll(".qr-card")].flatMap(c => {
	const r = c.getBoundingClientRect();
	return [".qr-box", ".qr-text", ".brand-mark", ".line", ".address", ".receipt-box"].flatMap(sel => [...c.querySelectorAll(sel)].filter(e => {
		const b = e.getBoundingClientRect();
		return b.width < 1 || b.height < 1 || b.left < r.left + 10 || b.right > r.right - 10 || b.top < r.top + 10 || b.bottom > r.bottom - 10 ||
			e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
	}).map(e => c.lang + " " + c.dataset.code + " " + sel));
})`

// TestCardTextFitsInEveryLanguage prints one card per public language and
// text variant and checks that nothing sticks out or is cut off, whatever
// the translators wrote.
func TestCardTextFitsInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	base := e.serve(t)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"X-Test-Role": "coordinator"})); err != nil {
		t.Fatal(err)
	}
	for _, lang := range cases.PublicLanguages {
		for _, v := range cards.Variants {
			b, err := e.cards.Create(context.Background(), cards.NewBatch{Label: "fit", Count: 1, Language: lang, Variant: v}, "u")
			if err != nil {
				t.Fatal(err)
			}
			var outside []string
			if err := chromedp.Run(ctx,
				chromedp.Navigate(base+"/staff/cards/"+b.ID+"/print"),
				chromedp.WaitVisible(".qr-card", chromedp.ByQuery),
				chromedp.Evaluate(outsideJS, &outside)); err != nil {
				t.Fatal(err)
			}
			if len(outside) > 0 {
				t.Errorf("%s, %s: parts outside the card or cut off: %v", lang, v, outside)
			}
		}
	}
}

// TestPrintSheetInChromium prints a batch of 25 cards to PDF the way a
// coordinator's browser would, and checks pages, sizes and every QR code as
// Chromium draws it.
func TestPrintSheetInChromium(t *testing.T) {
	e := newEnv(t)
	b, codes := e.batch(t, 25, "ro")
	base := e.serve(t)
	ctx := browsertest.New(t)

	var cardCount, sheetCount int
	var cardW, cardH, sheetW, sheetH float64
	err := chromedp.Run(ctx,
		network.Enable(),
		network.SetExtraHTTPHeaders(network.Headers{"X-Test-Role": "coordinator"}),
		chromedp.Navigate(base+"/staff/cards/"+b.ID+"/print"),
		chromedp.WaitVisible(".qr-card", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll(".qr-card").length`, &cardCount),
		chromedp.Evaluate(`document.querySelectorAll("section.sheet").length`, &sheetCount),
		chromedp.Evaluate(`document.querySelector(".qr-card").getBoundingClientRect().width`, &cardW),
		chromedp.Evaluate(`document.querySelector(".qr-card").getBoundingClientRect().height`, &cardH),
		chromedp.Evaluate(`document.querySelector("section.sheet").getBoundingClientRect().width`, &sheetW),
		chromedp.Evaluate(`document.querySelector("section.sheet").getBoundingClientRect().height`, &sheetH),
	)
	if err != nil {
		t.Fatal(err)
	}
	if cardCount != 25 || sheetCount != 3 {
		t.Fatalf("page shows %d cards on %d sheets, want 25 on 3", cardCount, sheetCount)
	}
	// Everything a card shows lies inside the card (nothing cut off or hidden).
	var outside []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(outsideJS, &outside)); err != nil {
		t.Fatal(err)
	}
	if len(outside) > 0 {
		t.Errorf("parts outside their card or cut off: %v", outside)
	}
	mm := func(px float64) float64 { return px * 25.4 / 96 }
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"card width", mm(cardW), 85.6}, {"card height", mm(cardH), 54}, {"sheet width", mm(sheetW), 210}, {"sheet height", mm(sheetH), 297}} {
		if math.Abs(c.got-c.want) > 0.15 {
			t.Errorf("%s = %.2f mm, want %.1f", c.what, c.got, c.want)
		}
	}

	// Every QR code, as Chromium paints it, reads back as its address.
	for i, code := range codes {
		var shot []byte
		var svg string
		sel := fmt.Sprintf(`.qr-card[data-code="%s"] svg.qr`, code)
		if err := chromedp.Run(ctx, chromedp.ScreenshotScale(sel, 2, &shot, chromedp.ByQuery),
			chromedp.OuterHTML(sel, &svg, chromedp.ByQuery)); err != nil {
			t.Fatalf("screenshot card %d: %v", i, err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		modules, err := cardstest.Modules(svg)
		if err != nil {
			t.Fatal(err)
		}
		d, err := cardstest.DecodeRendered(img, modules)
		if err != nil {
			t.Fatalf("card %d (%s) as drawn does not decode: %v", i, code, err)
		}
		if want := publicURL + "/c/" + code; d.Text != want {
			t.Errorf("card %d decodes to %q, want %q", i, d.Text, want)
		}
	}

	var pdf []byte
	err = chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		pdf, _, err = page.PrintToPDF().WithPreferCSSPageSize(true).WithPrintBackground(true).Do(ctx)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pageRe.FindAll(pdf, -1)); n != 3 {
		t.Fatalf("PDF has %d pages for 25 cards, want 3", n)
	}
	boxes := mediaBoxRe.FindAllSubmatch(pdf, -1)
	if len(boxes) != 3 {
		t.Fatalf("PDF has %d page sizes, want 3", len(boxes))
	}
	for _, m := range boxes {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		// A4 is 595.28 × 841.89 pt; Chromium rounds to whole CSS pixels.
		if math.Abs(w-595.28) > 1.5 || math.Abs(h-841.89) > 1.5 {
			t.Errorf("PDF page is %.2f × %.2f pt, not A4", w, h)
		}
	}
}
