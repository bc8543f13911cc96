package socialmap

import (
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gehoord/gehoord/server/fault"

	"golang.org/x/text/language"
)

// Organisation is one entry of the social map. Every field is public
// contact information of an organisation, not personal data, so nothing is
// sealed.
type Organisation struct {
	// Key is the stable identifier (lower-case letters, digits, dashes); it
	// is the document id, the CSV upsert key and part of the staff URLs.
	Key            string   `bson:"_id" json:"key"`
	Name           string   `bson:"name" json:"name"`
	About          string   `bson:"about" json:"about"` // one line, in the organisation's own words
	Topics         []string `bson:"topics" json:"topics"`
	Regions        []string `bson:"regions" json:"regions"` // safety regions, or ["national"]
	Municipalities []string `bson:"municipalities" json:"municipalities"`
	Languages      []string `bson:"languages" json:"languages"` // ISO 639-1 codes
	Phone          string   `bson:"phone" json:"phone"`
	Web            string   `bson:"web" json:"web"`
	Email          string   `bson:"email" json:"email"`
	Address        string   `bson:"address" json:"address"`
	WalkIn         string   `bson:"walk_in" json:"walk_in"` // when and where to walk in
	Hours          string   `bson:"hours" json:"hours"`
	// TextLang is the language About, WalkIn and Hours are written in
	// ("nl" when not said).
	TextLang string `bson:"text_lang" json:"text_lang,omitempty"`
	// Texts holds About, WalkIn and Hours in other languages, by language
	// code. Always written (null when none), so an edit can remove them.
	Texts        map[string]LocalText `bson:"texts" json:"texts,omitempty"`
	Evening      bool                 `bson:"evening" json:"evening"` // reachable after 18:00 on some days
	BySexWorkers bool                 `bson:"by_sex_workers" json:"by_sex_workers"`
	VerifiedOn   string               `bson:"verified_on" json:"verified_on"` // YYYY-MM-DD; "" = to verify
	Retired      bool                 `bson:"retired" json:"retired"`
	CreatedAt    time.Time            `bson:"created_at" json:"created_at"`
	UpdatedAt    time.Time            `bson:"updated_at" json:"updated_at"`
}

// LocalText is an organisation's own words in one language.
type LocalText struct {
	About  string `bson:"about,omitempty" json:"about,omitempty"`
	WalkIn string `bson:"walk_in,omitempty" json:"walk_in,omitempty"`
	Hours  string `bson:"hours,omitempty" json:"hours,omitempty"`
}

// Shown is one text as a reader sees it: the words and the language they
// are in, so a page can mark a text that is not in hers.
type Shown struct{ Text, Lang string }

// TextFor returns what the organisation does, when to walk in and its
// hours for a reader of lang: each in lang when written in it, else in
// English when written in English, else as written (in TextLang). Each
// field falls back on its own: an entry may have only its hours translated.
func (o *Organisation) TextFor(lang string) (about, walkIn, hours Shown) {
	base := o.TextLang
	if base == "" {
		base = "nl"
	}
	pick := func(get func(LocalText) string, own string) Shown {
		if base == lang && own != "" {
			return Shown{own, base}
		}
		for _, l := range []string{lang, "en"} {
			if t := get(o.Texts[l]); t != "" {
				return Shown{t, l}
			}
		}
		if own == "" {
			return Shown{}
		}
		return Shown{own, base}
	}
	about = pick(func(t LocalText) string { return t.About }, o.About)
	walkIn = pick(func(t LocalText) string { return t.WalkIn }, o.WalkIn)
	hours = pick(func(t LocalText) string { return t.Hours }, o.Hours)
	return about, walkIn, hours
}

// ToVerify is how an unverified entry is written in CSV files and forms.
const ToVerify = "to verify"

// IsNational says whether the organisation works in the whole country.
func (o *Organisation) IsNational() bool {
	for _, r := range o.Regions {
		if r == National {
			return true
		}
	}
	return false
}

// Verified says whether someone checked the entry (VerifiedOn is set).
func (o *Organisation) Verified() bool { return o.VerifiedOn != "" }

// HasTopic says whether the organisation helps with topic.
func (o *Organisation) HasTopic(topic string) bool { return contains(o.Topics, topic) }

// SpeaksLanguage says whether the organisation helps in lang.
func (o *Organisation) SpeaksLanguage(lang string) bool { return contains(o.Languages, lang) }

// Value is the offending value a problem of Normalize names (its key's
// {value} placeholder).
func Value(f fault.Field) string {
	if len(f.Args) == 2 {
		if v, ok := f.Args[1].(string); ok {
			return v
		}
	}
	return ""
}

// Normalize cleans an organisation in place (trims, canonical region and
// municipality names, lower-case language codes, sorted unique lists) and
// returns every problem left. It never drops what it does not understand:
// unknown values stay and are reported.
func (o *Organisation) Normalize() []fault.Field {
	var errs []fault.Field
	add := func(field, key, value string) {
		errs = append(errs, fault.Field{Field: field, Key: key, Args: []any{"value", value}})
	}

	o.Key = strings.TrimSpace(strings.ToLower(o.Key))
	if !validKey(o.Key) {
		add("key", "socialmap.error.key", o.Key)
	}
	for _, f := range []struct {
		name string
		p    *string
		max  int
	}{
		{"name", &o.Name, 200}, {"about", &o.About, 500}, {"phone", &o.Phone, 100},
		{"web", &o.Web, 500}, {"email", &o.Email, 200}, {"address", &o.Address, 500},
		{"walk_in", &o.WalkIn, 500}, {"hours", &o.Hours, 500},
	} {
		*f.p = strings.TrimSpace(*f.p)
		if utf8.RuneCountInString(*f.p) > f.max {
			add(f.name, "socialmap.error.too_long", "")
		}
	}
	if o.Name == "" {
		add("name", "socialmap.error.name_required", "")
	}
	o.TextLang = strings.ToLower(strings.TrimSpace(o.TextLang))
	if o.TextLang == "" {
		o.TextLang = "nl"
	}
	if _, err := language.ParseBase(o.TextLang); err != nil || len(o.TextLang) != 2 {
		add("text_lang", "socialmap.error.language_unknown", o.TextLang)
	}
	texts := make(map[string]LocalText, len(o.Texts))
	for l, t := range o.Texts {
		l = strings.ToLower(strings.TrimSpace(l))
		t = LocalText{About: strings.TrimSpace(t.About), WalkIn: strings.TrimSpace(t.WalkIn), Hours: strings.TrimSpace(t.Hours)}
		if t == (LocalText{}) || l == o.TextLang {
			continue // nothing written, or the language of the main fields
		}
		if _, err := language.ParseBase(l); err != nil || len(l) != 2 {
			add("texts", "socialmap.error.language_unknown", l)
			continue
		}
		if utf8.RuneCountInString(t.About) > 500 || utf8.RuneCountInString(t.WalkIn) > 500 || utf8.RuneCountInString(t.Hours) > 500 {
			add("texts", "socialmap.error.too_long", "")
		}
		texts[l] = t
	}
	o.Texts = texts
	if len(o.Texts) == 0 {
		o.Texts = nil
	}

	o.Topics = cleanList(o.Topics, strings.ToLower)
	if len(o.Topics) == 0 {
		add("topics", "socialmap.error.topics_required", "")
	}
	for _, t := range o.Topics {
		if !IsTopic(t) {
			add("topics", "socialmap.error.topic_unknown", t)
		}
	}

	o.Regions = cleanList(o.Regions, func(r string) string {
		if Fold(r) == National || Fold(r) == "landelijk" {
			return National
		}
		if c, ok := CanonicalRegion(r); ok {
			return c
		}
		return r
	})
	for _, r := range o.Regions {
		if r != National && !isRegion(r) {
			add("regions", "socialmap.error.region_unknown", r)
		}
	}
	o.Municipalities = cleanList(o.Municipalities, func(m string) string {
		if mm, ok := LookupMunicipality(m); ok {
			return mm.Name
		}
		return m
	})
	for _, m := range o.Municipalities {
		if _, ok := LookupMunicipality(m); !ok {
			add("municipalities", "socialmap.error.municipality_unknown", m)
		}
	}
	if len(o.Regions) == 0 && len(o.Municipalities) == 0 {
		add("regions", "socialmap.error.place_required", "")
	}

	o.Languages = cleanList(o.Languages, func(l string) string {
		tag, err := language.Parse(l)
		if err != nil {
			return strings.ToLower(l)
		}
		base, _ := tag.Base()
		return base.String()
	})
	for _, l := range o.Languages {
		if _, err := language.ParseBase(l); err != nil || len(l) != 2 {
			add("languages", "socialmap.error.language_unknown", l)
		}
	}
	if len(o.Languages) == 0 {
		add("languages", "socialmap.error.languages_required", "")
	}

	if o.Web != "" {
		if !strings.Contains(o.Web, "://") {
			o.Web = "https://" + o.Web
		}
		u, err := url.Parse(o.Web)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("web", "socialmap.error.web", o.Web)
		}
	}
	if o.Email != "" && (!strings.Contains(o.Email, "@") || strings.ContainsAny(o.Email, " <>")) {
		add("email", "socialmap.error.email", o.Email)
	}
	if o.Phone == "" && o.Web == "" && o.Email == "" && o.Address == "" && o.WalkIn == "" {
		add("phone", "socialmap.error.contact_required", "")
	}

	v, ok := ParseVerifiedOn(o.VerifiedOn)
	if !ok {
		add("verified_on", "socialmap.error.verified_on", o.VerifiedOn)
	} else {
		o.VerifiedOn = v
	}
	return errs
}

// ParseVerifiedOn accepts a date (YYYY-MM-DD) or "to verify" (also empty,
// "te controleren", "te verifiëren") and returns the stored form: the date,
// or "" for to verify.
func ParseVerifiedOn(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch Fold(s) {
	case "", "to verify", "te controleren", "te verifieren", "nee", "no":
		return "", true
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s, false
	}
	return d.Format("2006-01-02"), true
}

// Slug makes a key from a name: "Juridisch Loket" -> "juridisch-loket".
func Slug(name string) string {
	s := strings.ReplaceAll(Fold(name), " ", "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}

func validKey(k string) bool {
	if len(k) < 2 || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return k[0] != '-' && k[len(k)-1] != '-'
}

func isRegion(r string) bool { return contains(regions, r) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// cleanList trims, maps, drops empties and duplicates, and sorts.
func cleanList(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		v = f(v)
		if seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// SplitList splits a list cell or form field on ";", "|" or new lines.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' || r == '\n' || r == '\r' })
}
