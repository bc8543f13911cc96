package staffui_test

import (
	"net/url"
	"testing"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestStaffErrorPagesInStaffLayout: a signed-in user's 403 and 404 stay
// in the staff pages (their menu, their language), not the public site.
func TestStaffErrorPagesInStaffLayout(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	for _, p := range []struct {
		path   string
		status int
	}{{"/staff/cases/no-such-case", 404}, {"/staff/users", 403}} {
		body := expect(t, h.Get(p.path), p.status, "")
		if count(t, body, ".staff") == 0 || count(t, body, `form[action="/staff/signout"]`) == 0 {
			t.Errorf("%s: not in the staff layout:\n%.600s", p.path, body)
		}
	}
}

// TestExtendConfirmedAuditedAndNeverOnAClosedCase: extending asks for a
// ticked confirmation and is in the audit log; a closed case offers no
// extension and refuses one.
func TestExtendConfirmedAuditedAndNeverOnAClosedCase(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	k := newCase(t, env, nil)
	assign(t, env, k.ID, h.User.ID)
	cp := "/staff/cases/" + k.ID
	body := expect(t, h.PostForm(cp+"/extend", nil), 422, "")
	if count(t, body, "#case-error") != 1 {
		t.Error("no error shown without the confirmation")
	}
	expect(t, h.PostForm(cp+"/extend", url.Values{"confirm": {"1"}}), 303, cp+"?done=extended")
	es, _ := env.Deps.Audit.List(t.Context(), audit.Filter{CaseID: k.ID, Action: audit.CaseChange})
	if len(es) != 1 || es[0].Detail != "extend" || es[0].UserID != h.User.ID {
		t.Errorf("extension not audited: %+v", es)
	}

	closed := newCase(t, env, nil)
	assign(t, env, closed.ID, h.User.ID)
	ccp := "/staff/cases/" + closed.ID
	expect(t, h.PostForm(ccp+"/route", url.Values{"to": {"listening"}}), 303, "")
	expect(t, h.PostForm(ccp+"/message", url.Values{"line": {"Our answer."}, "close": {string(cases.OutcomeResolved)}, "action": {"send"}}), 303, ccp+"?done=closed")
	if s := state(t, env, closed.ID); s != cases.StateClosed {
		t.Fatalf("state %s", s)
	}
	if body := expect(t, h.Get(ccp), 200, ""); count(t, body, `form[action^="/staff/cases/`+closed.ID+`/extend"]`) != 0 {
		t.Error("a closed case offers an extension")
	}
	expect(t, h.PostForm(ccp+"/extend", url.Values{"confirm": {"1"}}), 422, "")
}
