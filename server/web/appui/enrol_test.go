package appui_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/web/appui"
)

// The 403 at registration says which cause it is, in the problem's type:
// no second factor yet, or a role that may not register tablets; and the
// app tells her which, in words.
func TestRegisterForbiddenSaysWhy(t *testing.T) {
	be := startBackend(t)
	env := be.env
	noTOTP := stafftest.NewUser(t, env, "outreach") // password only, no second factor yet
	handler, hcodes := outreachUser(t, env, "handler")
	reg := func(email, code string) (int, string) {
		b, _ := json.Marshal(map[string]string{"email": email, "password": stafftest.Password, "code": code, "label": "Tablet 1"})
		st, _, body := post(t, env.URL+"/api/v1/outreach/devices", "", "application/json", b)
		var p struct{ Type string }
		_ = json.Unmarshal(body, &p)
		return st, p.Type
	}
	if st, typ := reg(noTOTP.Email, "000000"); st != 403 || typ != appui.ProblemNoSecondFactor {
		t.Fatalf("no second factor: %d %q", st, typ)
	}
	if st, typ := reg(handler.Email, hcodes[0]); st != 403 || typ != appui.ProblemRoleNotAllowed {
		t.Fatalf("handler: %d %q", st, typ)
	}

	// The app says which, in the worker's language.
	b := openBrowser(t, t.TempDir())
	b.run(chromedp.Navigate(env.URL + "/app/"))
	for _, c := range []struct{ email, code, key string }{
		{noTOTP.Email, "000000", "app.signin.no_second_factor"},
		{handler.Email, hcodes[1], "app.signin.role_not_allowed"},
	} {
		b.wait("document.querySelector('#signin')", 20*time.Second)
		b.fill("#signin [name=email]", c.email)
		b.fill("#signin [name=password]", stafftest.Password)
		b.fill("#signin [name=code]", c.code)
		// The screen of the last try shows its message until the answer.
		b.js("document.querySelector('#signin .error-summary')?.remove(); true", nil)
		b.submit("#signin")
		b.wait("document.querySelector('#signin .error-summary')", 20*time.Second)
		var msg, lang string
		b.js("document.querySelector('#signin .error-summary').textContent", &msg)
		b.js("document.documentElement.lang", &lang)
		if want := i18n.Default().T(lang, c.key); msg != want || strings.HasPrefix(msg, "app.") {
			t.Errorf("%s: the app says %q, want %q", c.key, msg, want)
		}
	}
	b.axe("sign-in with the cause of a 403")
}

// An outreach worker's account page links to the app; a handler's does not.
func TestAccountPageLinksTheApp(t *testing.T) {
	env := servertest.Start(t)
	for role, want := range map[string]bool{"outreach": true, "coordinator": true, "handler": false} {
		c := stafftest.SignIn(t, env, role)
		st, page := c.Page("/staff/account")
		if st != 200 {
			t.Fatalf("%s account page: %d", role, st)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		a := d.Find("a#app-link")
		if got := a.Length() == 1 && a.AttrOr("href", "") == "/app/"; got != want {
			t.Errorf("%s: link to the app %v, want %v", role, got, want)
		}
	}
	if st, _, _ := get(t, env.URL+"/app/"); st != 200 {
		t.Fatalf("the link's target: %d", st)
	}
}
