package staffui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestInboxWorkingDay: find a case by reference, filter mine, sort,
// priority before an earlier deadline, wish and theme columns, pages, and
// several cases linked to a theme at once.
func TestInboxWorkingDay(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	ctx := t.Context()
	var ks []cases.Result
	for range 4 {
		ks = append(ks, newCase(t, env, nil))
	}
	// The newest is urgent; its deadline is later than the others'.
	if _, err := env.Deps.Cases.SetPriority(ctx, ks[3].ID, "test", 2); err != nil {
		t.Fatal(err)
	}
	assign(t, env, ks[1].ID, co.User.ID)

	body := expect(t, co.Get("/staff/"), 200, "")
	if i := strings.Index(body, ks[3].Reference); i < 0 || i > strings.Index(body, ks[0].Reference) {
		t.Error("the urgent case is not above the earlier deadlines")
	}
	if !strings.Contains(body, "That you take it up") {
		t.Error("no wish column")
	}
	body = expect(t, co.Get("/staff/?q="+url.QueryEscape(ks[2].Reference)), 200, "")
	if !strings.Contains(body, ks[2].ID) || strings.Contains(body, ks[1].ID) {
		t.Error("search by reference")
	}
	body = expect(t, co.Get("/staff/?assigned=me"), 200, "")
	if !strings.Contains(body, ks[1].ID) || strings.Contains(body, ks[0].ID) {
		t.Error("mine")
	}
	body = expect(t, co.Get("/staff/?sort=received"), 200, "")
	if strings.Index(body, ks[3].ID) > strings.Index(body, ks[2].ID) || strings.Index(body, ks[2].ID) > strings.Index(body, ks[0].ID) {
		t.Error("newest first")
	}

	th, err := env.Deps.Cases.CreateTheme(ctx, "test", "Bank refuses accounts", "business", "Bank X")
	if err != nil {
		t.Fatal(err)
	}
	back := "/staff/?sort=received"
	expect(t, co.PostForm("/staff/themes/link", url.Values{"theme": {th.ID}, "case": {ks[0].ID, ks[2].ID}, "back": {back}}), 303, back+"&done=linked")
	list, _ := env.Deps.Cases.ThemeCases(ctx, th.ID)
	if len(list) != 2 {
		t.Errorf("%d cases linked", len(list))
	}
	body = expect(t, co.Get("/staff/?theme="+th.ID), 200, "")
	if !strings.Contains(body, "Bank refuses accounts") || !strings.Contains(body, ks[0].ID) || strings.Contains(body, ks[1].ID) {
		t.Error("theme column or filter")
	}
	h := stafftest.SignIn(t, env, "handler")
	expect(t, h.PostForm("/staff/themes/link", url.Values{"theme": {th.ID}, "case": {ks[1].ID}}), 403, "")
}

// TestInboxPages: the inbox shows a page of cases, with links on.
func TestInboxPages(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	for range cases.InboxPerPage + 3 {
		newCase(t, env, nil)
	}
	body := expect(t, co.Get("/staff/"), 200, "")
	if n := strings.Count(body, `href="/staff/cases/`); n != cases.InboxPerPage {
		t.Errorf("%d rows on the first page", n)
	}
	if count(t, body, `[rel="next"]`) == 0 {
		t.Fatal("no link to the next page")
	}
	body = expect(t, co.Get("/staff/?page=2"), 200, "")
	if n := strings.Count(body, `href="/staff/cases/`); n != 3 {
		t.Errorf("%d rows on the second page", n)
	}
}
