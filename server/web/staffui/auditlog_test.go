package staffui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

func auditOf(t *testing.T, env *servertest.Env, f audit.Filter) []audit.Entry {
	t.Helper()
	es, err := env.Deps.Audit.List(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestAuditEntriesWritten: refused requests (403) are in the audit log; a
// change says from what to what; the log is searched by case reference
// and shows names and words, not ids and codes.
func TestAuditEntriesWritten(t *testing.T) {
	env := servertest.Start(t)
	admin := stafftest.SignIn(t, env, "admin")
	h := stafftest.SignIn(t, env, "handler")
	k := newCase(t, env, nil)
	other := newCase(t, env, nil)
	assign(t, env, k.ID, h.User.ID)

	// Refused: a coordinator's action, an admin page, a post without CSRF.
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/reopen", url.Values{"decision": {"reopen"}}), 403, "")
	expect(t, h.Get("/staff/audit"), 403, "")
	expect(t, h.PostFormNoCSRF("/staff/cases/"+k.ID+"/note", url.Values{"body": {"x"}}), 403, "")
	denied := auditOf(t, env, audit.Filter{Action: audit.AccessDenied, UserID: h.User.ID})
	var routes []string
	for _, e := range denied {
		routes = append(routes, e.Detail)
	}
	if len(denied) != 3 || !strings.Contains(strings.Join(routes, "|"), "POST /staff/cases/:id/reopen") ||
		!strings.Contains(strings.Join(routes, "|"), "GET /staff/audit") || denied[len(denied)-1].CaseID != k.ID {
		t.Errorf("refusals written: %+v", denied)
	}

	// A state change says from → to.
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/state", url.Values{"to": {"triage"}}), 303, "")
	ch := auditOf(t, env, audit.Filter{Action: audit.CaseChange, CaseID: k.ID})
	if len(ch) != 1 || ch[0].From != "received" || ch[0].To != "triage" {
		t.Fatalf("state change: %+v", ch)
	}
	assign(t, env, other.ID, h.User.ID)

	// Found by its reference, in words.
	body := expect(t, admin.Get("/staff/audit?case="+url.QueryEscape(strings.ToLower(k.Reference))), 200, "")
	if strings.Contains(body, other.ID) || !strings.Contains(body, k.Reference) {
		t.Errorf("search by reference shows other cases or not this one")
	}
	en := env.Deps.Catalog
	for _, want := range []string{en.T("en", "staff.audit.act.case_change"), en.T("en", "state.received") + " → " + en.T("en", "state.triage"),
		en.T("en", "staff.audit.act.access_denied"), h.User.Name} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	if text := dom(t, body).Find("body").Text(); strings.Contains(text, "case.change") || strings.Contains(text, h.User.ID) {
		t.Error("the audit page shows codes or ids")
	}
	if body := expect(t, admin.Get("/staff/audit?case=GH-1999-9999"), 200, ""); !strings.Contains(body, en.T("en", "staff.audit.no_case")) {
		t.Error("an unknown reference is not said")
	}
}

// TestRetentionDryRunAndRunAudited: the admin's retention page lists what
// would go without erasing it; "run now" erases it; both are audited.
func TestRetentionDryRunAndRunAudited(t *testing.T) {
	env := servertest.Start(t)
	admin := stafftest.SignIn(t, env, "admin")
	k := newCase(t, env, nil)
	if _, err := env.Deps.Store.C("cases").UpdateOne(t.Context(), bson.M{"_id": k.ID}, bson.M{"$set": bson.M{
		"state": cases.StateClosed, "outcome": "resolved", "closed_at": time.Now().AddDate(-3, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	body := expect(t, admin.Get("/staff/retention"), 200, "")
	if count(t, body, `[data-case="`+k.ID+`"]`) == 0 || !strings.Contains(body, k.Reference) {
		t.Fatalf("the dry run does not list the case")
	}
	if c, _ := env.Deps.Cases.Get(t.Context(), k.ID); c.Erased {
		t.Fatal("the dry run erased")
	}
	if len(auditOf(t, env, audit.Filter{Action: audit.RetentionDryRun})) != 1 {
		t.Error("the dry run is not audited")
	}
	expect(t, admin.PostForm("/staff/retention/run", nil), 422, "") // not confirmed
	if c, _ := env.Deps.Cases.Get(t.Context(), k.ID); c.Erased {
		t.Fatal("an unconfirmed run erased")
	}
	expect(t, admin.PostForm("/staff/retention/run", url.Values{"confirm": {"1"}}), 303, "/staff/retention?done=retention_run")
	c, _ := env.Deps.Cases.Get(t.Context(), k.ID)
	if !c.Erased || env.Deps.Cases.Field(c, "description") != "" {
		t.Error("the run did not erase")
	}
	runs := auditOf(t, env, audit.Filter{Action: audit.RetentionRun, UserID: admin.User.ID})
	if len(runs) != 2 {
		t.Errorf("runs audited: %+v", runs)
	}
	if body := expect(t, admin.Get("/staff/retention"), 200, ""); count(t, body, `[data-case="`+k.ID+`"]`) != 0 {
		t.Error("still listed after the run")
	}
}
