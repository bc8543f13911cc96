package i18n

import "golang.org/x/text/language"

// PluralForms returns the forms a language needs for integers: the
// catalog tests require each of them for every counted message.
func PluralForms(lang string) []string {
	tag := language.Make(lang)
	seen := map[string]bool{}
	for n := 0; n < 200; n++ {
		seen[PluralForm(tag, n)] = true
	}
	// "other" is always needed: CLDR uses it for fractions even where no
	// whole number takes it (Polish, Russian).
	seen["other"] = true
	var forms []string
	for _, f := range []string{"zero", "one", "two", "few", "many", "other"} {
		if seen[f] {
			forms = append(forms, f)
		}
	}
	return forms
}
