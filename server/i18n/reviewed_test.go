package i18n_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/i18n"
)

// Standard texts are messages the desk sends her as its own words: a
// translation that says something else than the Dutch source is a promise
// the desk did not make. So every translation of a std.* text carries a
// marker of the review it passed: the Dutch text it was checked against
// and the translation that was checked. When either changes, the marker
// no longer matches and this test fails until someone who reads both
// languages has checked the translation again.
//
// After checking (and correcting) the translations, refresh their markers:
//
//	go test ./server/i18n -run TestStandardTextsReviewed -args -reviewed=ro,bg
//	go test ./server/i18n -run TestStandardTextsReviewed -args -reviewed=ro -reviewed-key=std.bank_account.body
//
// Only the languages (and key) named are marked; commit the changed
// testdata/std_reviewed.json with the translations.
var (
	reviewedLangs = flag.String("reviewed", "", "comma-separated languages whose std.* translations were reviewed against the current Dutch text")
	reviewedKey   = flag.String("reviewed-key", "", "with -reviewed: mark only this std.* key")
)

const reviewedFile = "testdata/std_reviewed.json"

// reviewMarker is what a reviewer checked: the Dutch source and the
// translation, each by a short hash.
func reviewMarker(nl, text string) string {
	return shortHash(nl) + "/" + shortHash(text)
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func textOf(cat *i18n.Catalog, lang, key string) string {
	v, _ := cat.Raw(lang, key)
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v) // plural forms: the whole set
	return string(b)
}

func TestStandardTextsReviewed(t *testing.T) {
	cat := i18n.Default()
	markers := map[string]map[string]string{} // key → lang → marker
	if b, err := os.ReadFile(reviewedFile); err == nil {
		if err := json.Unmarshal(b, &markers); err != nil {
			t.Fatalf("%s: %v", reviewedFile, err)
		}
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range cat.Keys("nl") {
		if strings.HasPrefix(k, "std.") {
			keys = append(keys, k)
		}
	}
	if *reviewedLangs != "" {
		for _, l := range strings.Split(*reviewedLangs, ",") {
			l = strings.TrimSpace(l)
			if !cat.HasLanguage(l) || l == "nl" {
				t.Fatalf("-reviewed: %q is not a translated language", l)
			}
			for _, k := range keys {
				if *reviewedKey != "" && k != *reviewedKey {
					continue
				}
				if markers[k] == nil {
					markers[k] = map[string]string{}
				}
				markers[k][l] = reviewMarker(textOf(cat, "nl", k), textOf(cat, l, k))
			}
		}
		for k := range markers {
			if !slices.Contains(keys, k) {
				delete(markers, k) // the text is gone
			}
		}
		b, err := json.MarshalIndent(markers, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(reviewedFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stale []string
	for _, k := range keys {
		nl := textOf(cat, "nl", k)
		for _, l := range cat.Languages() {
			if l == "nl" || !cat.Has(l, k) {
				continue
			}
			got, want := markers[k][l], reviewMarker(nl, textOf(cat, l, k))
			switch {
			case got == "":
				stale = append(stale, fmt.Sprintf("%s %s: never reviewed", l, k))
			case got != want && strings.Split(got, "/")[0] != strings.Split(want, "/")[0]:
				stale = append(stale, fmt.Sprintf("%s %s: the Dutch text changed since the review", l, k))
			case got != want:
				stale = append(stale, fmt.Sprintf("%s %s: the translation changed since the review", l, k))
			}
		}
	}
	for k := range markers {
		if !slices.Contains(keys, k) {
			stale = append(stale, k+": marker for a text that no longer exists")
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Fatalf("%d standard texts need a review against the Dutch source (then refresh the markers: see the comment on this test):\n%s",
			len(stale), strings.Join(stale, "\n"))
	}
}
