package i18n_test

import (
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/i18n"
)

// TestStatementsTheDeskCanStandBehind pins what the desk says about the
// law, the police and her data to what is true: a statement
// reworded back into a promise the desk cannot keep fails here.
func TestStatementsTheDeskCanStandBehind(t *testing.T) {
	cat := i18n.Default()
	text := func(l, k string) string { s, _ := cat.Raw(l, k); v, _ := s.(string); return v }
	must := func(l, k string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(text(l, k), p) {
				t.Errorf("%s %s does not say %q: %q", l, k, p, text(l, k))
			}
		}
	}
	mustNot := func(l, k string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if strings.Contains(strings.ToLower(text(l, k)), strings.ToLower(p)) {
				t.Errorf("%s %s says %q: %q", l, k, p, text(l, k))
			}
		}
	}
	// A witness statement to the police is always voluntary.
	must("nl", "std.police_rights.body", "vrijwillig", "rechter-commissaris")
	must("en", "std.police_rights.body", "voluntary", "rechter-commissaris")
	mustNot("en", "std.police_rights.body", "without knowing why")
	mustNot("nl", "std.police_rights.body", "niet zomaar")
	// Only the basic payment account is a right.
	must("nl", "std.bank_account.body", "basisbetaalrekening", "zakelijke rekening")
	must("en", "std.bank_account.body", "basic payment account", "business account")
	// The Labour Authority enforces, checks work permits and investigates
	// trafficking; the alternatives are named.
	must("nl", "rights.route.arbeidsinspectie.text", "werkvergunning", "mensenhandel", "advocaat")
	must("en", "rights.route.arbeidsinspectie.text", "work permits", "trafficking", "lawyer")
	// No unhedged "we give nothing to the police" or "we do not register you".
	mustNot("en", "common.independent", "do not register you", "we give nothing to the police.")
	mustNot("nl", "common.independent", "registreren je niet")
	must("en", "privacy.police", "judge", "only what we really must", "IP address")
	must("nl", "privacy.police", "rechter", "alleen wat wij echt moeten", "IP-adres")
	// The advice is free, the call is not.
	must("en", "rights.route.juridischloket.text", "you pay for the call")
	must("nl", "rights.route.juridischloket.text", "betaal je zelf")
	// A support organisation, not "a professional".
	must("en", "form.reporter_professional", "support organisation")
	for _, l := range cat.Languages() {
		if strings.HasPrefix(l, "_") {
			continue
		}
		must(l, "rights.route.arbeidsinspectie.text", "PROUD", "nlarbeidsinspectie.nl")
		must(l, "rights.route.juridischloket.text", "0900 8020")
		must(l, "rights.legal.p5", "Wrs")
		must(l, "rights.legal.p6", "PROUD", "Juridisch Loket")
		must(l, "privacy.keep", "{period}", "{content_period}")
	}
	// Official-sounding words out of what she reads; inclusive forms.
	for _, k := range cat.Keys("nl") {
		if !i18n.StaffOnly(k) {
			mustNot("nl", k, "dossier")
		}
	}
	for l, words := range map[string][]string{
		"zh": {"执法人员"}, "ro": {"cercet"},
		"es": {"trabajadoras sexuales", "trabajadora sexual"}, "pt": {"trabalhadoras sexuais", "trabalhadora sexual"},
		"ru": {"секс-работниц"}, "uk": {"секс-працівниць"},
	} {
		for _, k := range cat.Keys(l) {
			mustNot(l, k, words...)
		}
	}
}

// TestChineseDeclaresItsScript: the catalog and the addresses say "zh";
// pages declare zh-Hans (the catalog is in simplified characters), and
// every Chinese browser still gets the Chinese pages.
func TestChineseDeclaresItsScript(t *testing.T) {
	if got := i18n.HTMLLang("zh"); got != "zh-Hans" {
		t.Errorf("HTMLLang(zh) = %q", got)
	}
	if got := i18n.HTMLLang("ro"); got != "ro" {
		t.Errorf("HTMLLang(ro) = %q", got)
	}
	among := []string{"nl", "en", "ro", "zh"}
	for _, h := range []string{"zh-CN,zh;q=0.9", "zh-Hans", "zh-Hans-CN", "zh-TW", "zh"} {
		if got := i18n.Match(h, among); got != "zh" {
			t.Errorf("Accept-Language %q gives %q, want zh", h, got)
		}
	}
}
