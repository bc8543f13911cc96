// Package i18n reads the catalogs in the top-level i18n folder and renders
// messages: flat dotted keys, {name} placeholders, CLDR plural forms.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	catalogs "github.com/gehoord/gehoord/i18n"
)

// Fallbacks are tried in order when a language lacks a key, so a missing
// key shows a real sentence, never the key (tests make sure none is missing).
var Fallbacks = []string{"en", "nl"}

// StaffLanguages are the languages of the staff pages.
var StaffLanguages = []string{"nl", "en"}

// staffPrefixes are the namespaces of the staff pages and of the outreach
// worker's own controls: they exist in the staff languages only. Everything
// else is read by the workers and exists in every public language.
var staffPrefixes = []string{"staff.", "socialmap.", "push.", "app.", "state.", "outcome.", "cards."}

// publicExceptions are keys under a staff prefix that workers read: the
// line printed on a QR card in the card's language.
var publicExceptions = []string{"cards.line."}

// StaffOnly says whether key is needed in the staff languages only.
func StaffOnly(key string) bool {
	for _, p := range publicExceptions {
		if strings.HasPrefix(key, p) {
			return false
		}
	}
	for _, p := range staffPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Catalog holds every language's messages.
type Catalog struct {
	msgs map[string]map[string]any
	tags map[string]language.Tag
}

// Load reads every <lang>.json in fsys.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]any{}, tags: map[string]language.Tag{}}
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("i18n: list catalogs: %w", err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", f, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: parse %s: %w", f, err)
		}
		lang := strings.TrimSuffix(path.Base(f), ".json")
		tag, err := language.Parse(lang)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s is not a language: %w", f, err)
		}
		c.msgs[lang], c.tags[lang] = m, tag
	}
	return c, nil
}

// Default loads the embedded catalogs; a broken catalog stops start-up.
func Default() *Catalog {
	c, err := Load(catalogs.FS)
	if err != nil {
		panic(err)
	}
	return c
}

// Languages returns the languages that have a catalog, sorted.
func (c *Catalog) Languages() []string {
	l := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

// HasLanguage says whether lang has a catalog.
func (c *Catalog) HasLanguage(lang string) bool { _, ok := c.msgs[lang]; return ok }

// Keys returns the keys of one language's catalog.
func (c *Catalog) Keys(lang string) []string {
	var k []string
	for key := range c.msgs[lang] {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

// Raw returns a language's own value for key (string or plural map).
func (c *Catalog) Raw(lang, key string) (any, bool) {
	v, ok := c.msgs[lang][key]
	return v, ok
}

// Has says whether lang itself (without fallback) has key.
func (c *Catalog) Has(lang, key string) bool { _, ok := c.msgs[lang][key]; return ok }

func (c *Catalog) lookup(lang, key string) (any, string) {
	if v, ok := c.msgs[lang][key]; ok {
		return v, lang
	}
	for _, f := range Fallbacks {
		if v, ok := c.msgs[f][key]; ok {
			return v, f
		}
	}
	return nil, lang
}

// T renders key in lang with placeholder pairs ("name", value, ...).
func (c *Catalog) T(lang, key string, args ...any) string {
	v, _ := c.lookup(lang, key)
	switch s := v.(type) {
	case string:
		return fill(s, args)
	case map[string]any:
		if o, ok := s["other"].(string); ok {
			return fill(o, args)
		}
	}
	return key
}

// N renders the plural form of key for count n; {count} is filled too.
func (c *Catalog) N(lang, key string, n int, args ...any) string {
	v, from := c.lookup(lang, key)
	m, ok := v.(map[string]any)
	if !ok {
		return c.T(lang, key, append(args, "count", n)...)
	}
	form := PluralForm(c.tags[from], n)
	s, ok := m[form].(string)
	if !ok {
		s, _ = m["other"].(string)
	}
	return fill(s, append(args, "count", n))
}

// PluralForm returns the CLDR cardinal category of n in tag.
func PluralForm(tag language.Tag, n int) string {
	if n < 0 {
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

func fill(s string, args []any) string {
	if len(args) < 2 || !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// Messages returns one language's messages laid over the fallbacks,
// restricted to keys with one of the prefixes; the outreach app loads this.
func (c *Catalog) Messages(lang string, prefixes ...string) map[string]any {
	out := map[string]any{}
	// Lowest first: the last fallback, then the others, then lang on top.
	layers := slices.Clone(Fallbacks)
	slices.Reverse(layers)
	layers = append(layers, lang)
	for _, l := range layers {
		for k, v := range c.msgs[l] {
			for _, p := range prefixes {
				if strings.HasPrefix(k, p) {
					out[k] = v
					break
				}
			}
		}
	}
	return out
}

// Name is the language's own name, from its catalog's "_.name".
func (c *Catalog) Name(lang string) string {
	if s, ok := c.msgs[lang]["_.name"].(string); ok {
		return s
	}
	return lang
}

// htmlTags are the BCP 47 tags pages declare where the catalog code alone
// is not precise: the Chinese catalog is written in simplified characters,
// and a screen reader or a font choice needs to know that.
var htmlTags = map[string]string{"zh": "zh-Hans"}

// HTMLLang returns the tag for the lang attribute of content in the
// catalog language code (addresses and catalogs keep the code).
func HTMLLang(code string) string {
	if t, ok := htmlTags[code]; ok {
		return t
	}
	return code
}

// Match picks the best catalog language from an Accept-Language header,
// among the given languages (the first is the fallback).
func Match(header string, among []string) string {
	tags := make([]language.Tag, len(among))
	for i, l := range among {
		tags[i] = language.Make(l)
	}
	m := language.NewMatcher(tags)
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return among[0]
	}
	_, idx, conf := m.Match(prefs...)
	if conf == language.No {
		return among[0]
	}
	return among[idx]
}
