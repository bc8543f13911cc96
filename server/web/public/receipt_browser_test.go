package public_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/internal/browsertest"
	"github.com/gehoord/gehoord/server/servertest"
)

// receiptLayout measures the receipt box on the current page: its text,
// how many line boxes the digits take, whether they stay inside the box,
// and whether the case reference is somewhere else, in smaller type.
const receiptLayout = `(() => {
	const p = document.getElementById('receipt'), s = p.firstElementChild;
	const cs = getComputedStyle(p), box = p.getBoundingClientRect(), r = s.getBoundingClientRect();
	const left = box.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft) - 0.5;
	const right = box.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight) + 0.5;
	const ref = [...document.querySelectorAll('main p')].find((e) => /GH-/.test(e.textContent));
	return { text: p.textContent.trim(), lines: s.getClientRects().length,
		inside: r.left >= left && r.right <= right, digitsPx: parseFloat(getComputedStyle(s).fontSize),
		refInside: !!ref && p.contains(ref), refPx: ref ? parseFloat(getComputedStyle(ref).fontSize) : 0,
		bodyPx: parseFloat(getComputedStyle(document.body).fontSize) };
})()`

type receiptBox struct {
	Text              string
	Lines             int
	Inside, RefInside bool
	DigitsPx, RefPx   float64
	BodyPx            float64
}

var grouped = regexp.MustCompile(`^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$`)

// The receipt is shown on one line, grouped 4-4-4-4, at 360 px (also with
// text at 200 %), at 320 px and on a desktop, in its own box and larger
// than the case reference beside it, so the two cannot be taken for each
// other.
func TestReceiptOnOneLine(t *testing.T) {
	env := servertest.Start(t)
	// The receipt page opens once: post the form here, open it there.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(env.URL+"/nl/report", fill(openForm(t, env, "/nl/report")))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc == "" {
		t.Fatalf("submit: %d %q", res.StatusCode, loc)
	}
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(env.URL+loc)); err != nil {
		t.Fatal(err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("axe on the receipt page: %s", v)
	}
	for _, v := range []struct {
		width int64
		text  int // root font size in %
	}{{360, 100}, {360, 200}, {320, 100}, {1280, 100}} {
		var b receiptBox
		err := chromedp.Run(ctx, chromedp.EmulateViewport(v.width, 740),
			chromedp.Evaluate(fmt.Sprintf(`document.documentElement.style.fontSize = '%d%%'`, v.text), nil),
			chromedp.Evaluate(receiptLayout, &b))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%d px, text %d %%", v.width, v.text)
		if !grouped.MatchString(b.Text) || !cases.ReceiptChecks(cases.NormalizeReceipt(b.Text)) {
			t.Fatalf("%s: receipt shown as %q, want 4-4-4-4 digits that check", name, b.Text)
		}
		// On a phone of 360 px and wider: one line. Narrower, or with large
		// text, the digits keep at least the text's size and break between
		// groups, never inside one (only the spaces between groups break).
		if (v.width >= 360 && v.text == 100 && b.Lines != 1) || b.Lines > 2 || !b.Inside {
			t.Errorf("%s: the receipt takes %d lines, inside its box: %v", name, b.Lines, b.Inside)
		}
		if b.DigitsPx < b.BodyPx {
			t.Errorf("%s: the digits (%.0f px) are smaller than the text (%.0f px)", name, b.DigitsPx, b.BodyPx)
		}
		if b.RefPx == 0 || b.RefInside || b.RefPx >= b.DigitsPx {
			t.Errorf("%s: the case reference (%.0f px, in the receipt box: %v) is not set apart from the receipt (%.0f px)", name, b.RefPx, b.RefInside, b.DigitsPx)
		}
	}
	// The answers to a typo and to an unknown number pass axe too.
	for _, e := range []string{"check", "not_found"} {
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(env.URL+"/nl/status?e="+e)); err != nil {
			t.Fatal(err)
		}
		for _, v := range browsertest.Axe(ctx, t) {
			t.Errorf("axe on the status page (%s): %s", e, v)
		}
	}
}
