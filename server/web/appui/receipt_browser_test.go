package appui_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/cases"
)

// The tablet makes receipts with the same check digit as the server: the
// app's own module (pwa/js/ids.js), run in Chromium, agrees with every line
// of the vectors the Go test reads (server/cases/testdata), and every
// receipt it makes passes the server's check and strength test.
func TestTabletReceiptCheckDigitVectors(t *testing.T) {
	be := startBackend(t)
	b := openBrowser(t, t.TempDir())
	vectors, err := os.ReadFile(filepath.Join(repoRoot(t), "server", "cases", "testdata", "receipt_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(be.env.URL + "/app/"))
	b.wait("window.gehoord", 20*time.Second)
	var got struct {
		Check            []string
		Valid, Typos     []bool
		Not              []bool
		Made             []string
		CheckThrowsOnHex bool
	}
	b.js(fmt.Sprintf(`(async (v) => {
		const ids = await import('/app/js/ids.js');
		let throws = false;
		try { ids.checkDigit('12a4'); } catch { throws = true; }
		return {
			check: v.check_digits.map((c) => ids.checkDigit(c.digits)),
			valid: v.valid.map((r) => ids.checks(r) && ids.checks(ids.normalizeReceipt(ids.group(r)))),
			typos: v.typos.map((c) => ids.checks(c.receipt)),
			not: v.not_receipts.map((r) => ids.checks(ids.normalizeReceipt(r))),
			made: Array.from({ length: 2000 }, () => ids.receipt()),
			checkThrowsOnHex: throws,
		};
	})(%s)`, vectors), &got)
	var v struct {
		CheckDigits []struct{ Digits, Check string } `json:"check_digits"`
		Valid       []string                         `json:"valid"`
		Typos       []struct{ Receipt string }       `json:"typos"`
		NotReceipts []string                         `json:"not_receipts"`
	}
	if err := json.Unmarshal(vectors, &v); err != nil {
		t.Fatal(err)
	}
	if len(got.Check) != len(v.CheckDigits) || len(got.Valid) != len(v.Valid) || len(got.Typos) != len(v.Typos) || len(got.Not) != len(v.NotReceipts) || len(v.Valid) == 0 {
		t.Fatalf("the page answered %d/%d/%d/%d vectors", len(got.Check), len(got.Valid), len(got.Typos), len(got.Not))
	}
	for i, c := range v.CheckDigits {
		if got.Check[i] != c.Check {
			t.Errorf("tablet: check digit of %s = %s, want %s", c.Digits, got.Check[i], c.Check)
		}
	}
	for i, r := range v.Valid {
		if !got.Valid[i] {
			t.Errorf("tablet: %s does not check", r)
		}
	}
	for i, c := range v.Typos {
		if got.Typos[i] {
			t.Errorf("tablet: the typo %s passes", c.Receipt)
		}
	}
	for i, r := range v.NotReceipts {
		if got.Not[i] {
			t.Errorf("tablet: %q counts as a receipt", r)
		}
	}
	if !got.CheckThrowsOnHex {
		t.Error("tablet: checkDigit takes letters")
	}
	seen := map[string]bool{}
	for _, r := range got.Made {
		if !cases.ReceiptChecks(r) || !cases.StrongReceipt(r) || seen[r] {
			t.Fatalf("the tablet made %q: checks %v, strong %v, repeated %v", r, cases.ReceiptChecks(r), cases.StrongReceipt(r), seen[r])
		}
		seen[r] = true
	}
}

// The receipt screen shows the number on one line, grouped 4-4-4-4, at
// tablet widths (a small tablet upright, a large one, landscape) and still
// on a phone of 360 px, inside its box.
func TestTabletReceiptOnOneLine(t *testing.T) {
	be := startBackend(t)
	px := startProxy(t, be)
	b := openBrowser(t, t.TempDir())
	setupTablet(t, b, be.env, px.URL)
	b.js(`(async () => { await gehoord.vault.lock(); return true })()`, nil)
	b.wait("document.querySelector('#unlock')", 5*time.Second)
	b.fill("#unlock [name=passphrase]", Passphrase)
	b.submit("#unlock")
	b.wait("document.querySelector('#new-report')", 20*time.Second)
	b.click("#new-report")
	b.wait("document.querySelector('#round')", 5*time.Second)
	b.fill("#round [name=municipality]", "GM0344")
	b.run(chromedp.SetValue("#round [name=setting]", "window", chromedp.ByQuery))
	b.submit("#round")
	b.wait("document.querySelector('#report')", 5*time.Second)
	b.click("#report [name=kind][value=complaint]")
	b.click("#report [name=category][value=police]")
	b.fill("#report [name=description]", "Een melding om het nummer te zien")
	b.click("#report [name=wish][value=heard]")
	b.click("#report input[name='identity.mode'][value=anonymous]")
	b.submit("#report")
	b.wait("document.querySelector('#receipt')", 10*time.Second)
	grouped := regexp.MustCompile(`^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$`)
	for _, w := range []int64{360, 600, 768, 1024, 1280} {
		var box struct {
			Text   string
			Lines  int
			Inside bool
			Px     float64
		}
		b.run(chromedp.EmulateViewport(w, 800))
		b.js(`(() => {
			const p = document.getElementById('receipt'), s = p.firstElementChild;
			const cs = getComputedStyle(p), o = p.getBoundingClientRect(), r = s.getBoundingClientRect();
			return { text: p.textContent.trim(), lines: s.getClientRects().length, px: parseFloat(getComputedStyle(s).fontSize),
				inside: r.left >= o.left + parseFloat(cs.paddingLeft) - 0.5 && r.right <= o.right - parseFloat(cs.paddingRight) + 0.5 };
		})()`, &box)
		if !grouped.MatchString(box.Text) || !cases.ReceiptChecks(cases.NormalizeReceipt(box.Text)) {
			t.Fatalf("%d px: receipt shown as %q", w, box.Text)
		}
		if box.Lines != 1 || !box.Inside {
			t.Errorf("%d px: the receipt takes %d lines (%.0f px digits), inside its box: %v", w, box.Lines, box.Px, box.Inside)
		}
	}
	b.axe("receipt")
}
