package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
)

const root = "../.."

// dynamicFamilies are keys built in code from a list (category ids, states…):
// every member must exist, and the family counts as used.
func dynamicFamilies() map[string][]string {
	f := map[string][]string{}
	add := func(prefix, suffix string, ids []string) {
		for _, id := range ids {
			f[prefix] = append(f[prefix], prefix+id+suffix)
		}
	}
	add("kind.", ".label", cases.Kinds)
	var cats []string
	for _, c := range cases.Categories {
		cats = append(cats, c.ID)
	}
	add("category.", ".label", cats)
	add("group.", "", cases.Groups)
	add("setting.", "", cases.Settings)
	add("wish.", "", cases.Wishes)
	add("identity.", "", cases.IdentityModes)
	var states []string
	for _, s := range cases.AllStates {
		states = append(states, string(s))
	}
	add("status.state.", "", states)
	add("state.", "", states)
	return f
}

// Prefixes of keys that rooms build at run time from their own lists; they
// are checked by those rooms' tests and count as used here.
var runtimePrefixes = []string{"std.", "rights.", "help.topic.", "outcome.", "route.", "cards.variant.", "staff.role.", "staff.event.", "push.event.", "app.kind.", "app.category.", "app.error."}

var (
	keyRe    = regexp.MustCompile(`["'` + "`" + `]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["'` + "`" + `]`)
	fileExts = []string{".css", ".js", ".mjs", ".svg", ".png", ".json", ".html", ".go", ".csv", ".md", ".txt", ".pdf", ".ico", ".webmanifest", ".example", ".org", ".nl", ".com"}
)

// notKeys look like keys but are field paths of the API.
var notKeys = map[string]bool{"identity.mode": true, "identity.name": true, "identity.contact": true}

// usedKeys scans templates, Go code and the outreach app for quoted keys in
// one of the catalogs' namespaces.
func usedKeys(t *testing.T, namespaces map[string]bool) map[string][]string {
	used := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", "data", "i18n", "testdata":
				if p != root {
					return filepath.SkipDir
				}
			}
			return nil
		}
		ext := filepath.Ext(p)
		if ext != ".go" && ext != ".html" && ext != ".js" && ext != ".mjs" {
			return nil
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			ns := strings.SplitN(k, ".", 2)[0]
			if !namespaces[ns] || notKeys[k] || strings.HasSuffix(k, "_") || slices.ContainsFunc(fileExts, func(e string) bool { return strings.HasSuffix(k, e) }) {
				continue
			}
			used[k] = append(used[k], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func TestEveryUsedKeyExistsInEveryCatalog(t *testing.T) {
	cat := i18n.Default()
	langs := cat.Languages()
	if !slices.Contains(langs, "nl") || !slices.Contains(langs, "en") {
		t.Fatalf("catalogs: %v", langs)
	}
	ns := map[string]bool{}
	for _, k := range cat.Keys("en") {
		ns[strings.SplitN(k, ".", 2)[0]] = true
	}
	delete(ns, "_")
	used := usedKeys(t, ns)
	for _, fam := range dynamicFamilies() {
		for _, k := range fam {
			used[k] = append(used[k], "(dynamic)")
		}
	}
	var missing []string
	for k, where := range used {
		for _, l := range langs {
			if !cat.Has(l, k) && (!i18n.StaffOnly(k) || slices.Contains(i18n.StaffLanguages, l)) {
				missing = append(missing, l+": "+k+" (used in "+where[0]+")")
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d keys missing:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	// No catalog carries keys nothing uses.
	var unused []string
	for _, k := range cat.Keys("en") {
		if strings.HasPrefix(k, "_.") || used[k] != nil ||
			slices.ContainsFunc(runtimePrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		unused = append(unused, k)
	}
	if len(unused) > 0 {
		t.Fatalf("%d keys nothing uses:\n%s", len(unused), strings.Join(unused, "\n"))
	}
}

var placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)

func placeholders(v any) []string {
	var all []string
	switch s := v.(type) {
	case string:
		all = placeholderRe.FindAllString(s, -1)
	case map[string]any:
		for _, f := range s {
			if str, ok := f.(string); ok {
				all = append(all, placeholderRe.FindAllString(str, -1)...)
			}
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}

func TestCatalogsAreCompleteAndConsistent(t *testing.T) {
	cat := i18n.Default()
	all := cat.Keys("en")
	var public []string
	for _, k := range all {
		if !i18n.StaffOnly(k) {
			public = append(public, k)
		}
	}
	for _, l := range cat.Languages() {
		keys := cat.Keys(l)
		// Staff pages exist in nl and en; the other languages carry what
		// the workers read, and nothing else.
		base := public
		if slices.Contains(i18n.StaffLanguages, l) {
			base = all
		}
		if !slices.Equal(keys, base) {
			var extra, miss []string
			for _, k := range base {
				if !cat.Has(l, k) {
					miss = append(miss, k)
				}
			}
			for _, k := range keys {
				if !slices.Contains(base, k) {
					extra = append(extra, k)
				}
			}
			t.Errorf("%s: %d missing %v, %d extra %v", l, len(miss), first(miss), len(extra), first(extra))
		}
		if code, _ := cat.Raw(l, "_.code"); code != l {
			t.Errorf("%s: _.code is %v", l, code)
		}
		forms := i18n.PluralForms(l)
		for _, k := range keys {
			v, _ := cat.Raw(l, k)
			switch s := v.(type) {
			case string:
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s is empty", l, k)
				}
			case map[string]any:
				for _, f := range forms {
					if str, _ := s[f].(string); strings.TrimSpace(str) == "" {
						t.Errorf("%s: %s lacks plural form %q", l, k, f)
					}
				}
			default:
				t.Errorf("%s: %s is neither text nor plural forms", l, k)
			}
			ev, _ := cat.Raw("en", k)
			if !slices.Equal(placeholders(v), placeholders(ev)) {
				t.Errorf("%s: %s has placeholders %v, en has %v", l, k, placeholders(v), placeholders(ev))
			}
		}
	}
}

func first(l []string) []string {
	if len(l) > 10 {
		return append(l[:10:10], "…")
	}
	return l
}

// sameInEnglish lists values that may equal the English one in another
// language: names, codes and words every language borrows.
var sameInEnglish = map[string]bool{"_.code": true, "status.from_desk": true, "group.online": true, "setting.online": true,
	"setting.escort": true, "category.business.bank.label": true, "common.language": true}

// TestNothingLeftInEnglish: no public value of another language is the
// English text (a forgotten translation), except names and borrowed words.
func TestNothingLeftInEnglish(t *testing.T) {
	cat := i18n.Default()
	for _, l := range cat.Languages() {
		if l == "en" {
			continue
		}
		var same []string
		for _, k := range cat.Keys(l) {
			v, _ := cat.Raw(l, k)
			ev, _ := cat.Raw("en", k)
			s, ok := v.(string)
			es, _ := ev.(string)
			if ok && s == es && len(strings.Fields(s)) > 2 && !sameInEnglish[k] && !strings.HasPrefix(k, "help.org.") {
				same = append(same, k)
			}
		}
		if len(same) > 0 {
			t.Errorf("%s: %d values left in English: %v", l, len(same), first(same))
		}
	}
}

func TestRenderingAndFallback(t *testing.T) {
	cat := i18n.Default()
	if got := cat.T("nl", "receipt.reference", "reference", "GH-2026-0001"); got != "Meldingsnummer: GH-2026-0001" {
		t.Fatalf("T = %q", got)
	}
	if got := cat.T("xx", "receipt.reference", "reference", "GH-1"); got != "Case number: GH-1" {
		t.Fatalf("fallback = %q", got)
	}
	if got := cat.T("nl", "no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key = %q", got)
	}
	for lang, want := range map[string][]string{"nl": {"one", "other"}, "pl": {"one", "few", "many", "other"}, "ru": {"one", "few", "many", "other"},
		"ro": {"one", "few", "other"}, "zh": {"other"}, "th": {"other"}} {
		if got := i18n.PluralForms(lang); !slices.Equal(got, want) {
			t.Errorf("plural forms %s = %v, want %v", lang, got, want)
		}
	}
}
