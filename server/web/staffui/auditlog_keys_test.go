package staffui

import (
	"slices"
	"testing"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/staff"
)

// TestAuditKeys: every action the audit page filters on and every detail
// it names has its words in nl and en.
func TestAuditKeys(t *testing.T) {
	var want []string
	for _, a := range audit.Actions {
		want = append(want, actionKey(a))
	}
	for d := range auditDetails {
		want = append(want, "staff.audit.detail."+replaceDots(d))
	}
	cat := i18n.Default()
	for _, k := range want {
		if !slices.Contains(auditKeys, k) {
			t.Errorf("%s is built at run time but not in auditKeys", k)
		}
		for _, l := range staff.Languages {
			if !cat.Has(l, k) {
				t.Errorf("%s misses %s", l, k)
			}
		}
	}
}

func replaceDots(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

// TestReferralKeys: every referral state and step has its words.
func TestReferralKeys(t *testing.T) {
	cat := i18n.Default()
	var want []string
	for _, s := range cases.ReferralStates {
		want = append(want, "staff.referral.status."+s)
		for _, n := range cases.ReferralNext(s) {
			want = append(want, "staff.referral.to."+n)
		}
	}
	for _, k := range want {
		if !slices.Contains(referralKeys, k) {
			t.Errorf("%s is built at run time but not in referralKeys", k)
		}
		for _, l := range staff.Languages {
			if !cat.Has(l, k) {
				t.Errorf("%s misses %s", l, k)
			}
		}
	}
}
