package staffui_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// signInWith signs c's user in with password and code through the pages
// and returns the code step's answer.
func signInWith(t *testing.T, c *stafftest.Client, password, code string) (status int, location string) {
	t.Helper()
	res := c.Password(c.User.Email, password)
	stafftest.ReadBody(res)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/staff/signin/code" {
		return res.StatusCode, res.Header.Get("Location")
	}
	_, body := c.Page("/staff/signin/code")
	res = c.PostForm("/staff/signin/code", url.Values{"_csrf": {csrfOf(body)}, "code": {code}})
	stafftest.ReadBody(res)
	return res.StatusCode, res.Header.Get("Location")
}

// TestChangeOwnPassword: a staff member changes her password with the
// current one and a code; her other sessions end, this one stays, and only
// the new password signs in from then on.
func TestChangeOwnPassword(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "handler")
	// The same person in a second browser.
	other := stafftest.NewClient(t, env.URL)
	other.User, other.Secret = c.User, c.Secret
	next, _ := totp.GenerateCode(c.Secret, time.Now().Add(30*time.Second))
	expect(t, other.SignInAgain(next), 303, "/staff/")
	expect(t, other.Get("/staff/"), 200, "")

	body := expect(t, c.Get("/staff/account"), 200, "")
	for _, f := range []string{`name="current_password"`, `name="code"`, `name="new_password"`, `name="new_password2"`} {
		if !strings.Contains(body, f) {
			t.Fatalf("the account page has no %s field", f)
		}
	}
	const newPW = "a brand new passphrase 42"
	form := func(current, code, n1, n2 string) url.Values {
		return url.Values{"current_password": {current}, "code": {code}, "new_password": {n1}, "new_password2": {n2}}
	}
	p := "/staff/account/password"
	expect(t, c.PostFormNoCSRF(p, form(stafftest.Password, c.Recovery[0], newPW, newPW)), 403, "")
	expect(t, c.PostForm(p, form("not my password", c.Recovery[0], newPW, newPW)), 422, "")
	expect(t, c.PostForm(p, form(stafftest.Password, "000000", newPW, newPW)), 422, "")
	expect(t, c.PostForm(p, form(stafftest.Password, c.Recovery[0], newPW, newPW+"x")), 422, "")
	expect(t, c.PostForm(p, form(stafftest.Password, c.Recovery[0], "short", "short")), 422, "")
	expect(t, c.PostForm(p, form(stafftest.Password, c.Recovery[0], newPW, newPW)), 303, "/staff/account?done=password")

	// This session stays; the other one ended.
	expect(t, c.Get("/staff/"), 200, "")
	expect(t, other.Get("/staff/"), 303, "/staff/signin")
	// Only the new password signs in.
	if st, _ := signInWith(t, other, stafftest.Password, c.Recovery[1]); st != 422 {
		t.Fatalf("the old password still passes the first step: %d", st)
	}
	if st, loc := signInWith(t, other, newPW, c.Recovery[1]); st != 303 || loc != "/staff/" {
		t.Fatalf("the new password: %d %s", st, loc)
	}
}

var base32Secret = regexp.MustCompile(`^[A-Z2-7]+$`)

func setupSecret(t *testing.T, c *stafftest.Client) (secret, csrf string) {
	t.Helper()
	body := expect(t, c.Get("/staff/signin/setup"), 200, "")
	secret = dom(t, body).Find("#totp-secret").Text()
	if !base32Secret.MatchString(secret) {
		t.Fatalf("no secret on the set-up page:\n%.600s", body)
	}
	return secret, csrfOf(body)
}

// TestAdminResetForcesNewPasswordAndTOTP: an admin's reset ends her
// sessions, revokes her tablets, and at the next sign-in she must choose a
// new password (not the one the admin handed over) and set up a new second
// factor before she is signed in.
func TestAdminResetForcesNewPasswordAndTOTP(t *testing.T) {
	env := servertest.Start(t)
	ad := stafftest.SignIn(t, env, "admin")
	c := stafftest.SignIn(t, env, "outreach")
	dev, _, err := env.Deps.Devices.Create(t.Context(), c.User.ID, "her tablet")
	if err != nil {
		t.Fatal(err)
	}
	body := expect(t, ad.Get("/staff/users"), 200, "")
	if count(t, body, `form[action="/staff/users/`+c.User.ID+`/reset"]`) != 1 {
		t.Fatal("the users page offers no reset")
	}
	const temp = "temporary handover 2026"
	p := "/staff/users/" + c.User.ID + "/reset"
	expect(t, ad.PostForm(p, url.Values{"password": {"short"}}), 422, "")
	expect(t, ad.PostForm("/staff/users/"+ad.User.ID+"/reset", url.Values{"password": {temp}}), 403, "")
	// No such user: a 404 through the one mapping, for each change.
	expect(t, ad.PostForm("/staff/users/nosuchuser/reset", url.Values{"password": {temp}}), 404, "")
	expect(t, ad.PostForm("/staff/users/nosuchuser/disable", nil), 404, "")
	expect(t, ad.PostForm(p, url.Values{"password": {temp}}), 303, "/staff/users?done=user_reset")

	expect(t, c.Get("/staff/account"), 303, "/staff/signin")
	if d, err := env.Deps.Devices.Get(t.Context(), dev.ID); err != nil || !d.Revoked {
		t.Fatalf("her tablet after the reset: revoked=%v %v", d.Revoked, err)
	}
	expect(t, c.Password(c.User.Email, stafftest.Password), 422, "")
	expect(t, c.Password(c.User.Email, temp), 303, "/staff/signin/password")
	// Half signed in: nothing else opens, not even the set-up step.
	expect(t, c.Get("/staff/account"), 303, "/staff/signin")
	expect(t, c.Get("/staff/signin/setup"), 303, "/staff/signin")
	body = expect(t, c.Get("/staff/signin/password"), 200, "")
	csrf := csrfOf(body)
	const mine = "only I know this one 7"
	form := func(a, b string) url.Values {
		return url.Values{"_csrf": {csrf}, "new_password": {a}, "new_password2": {b}}
	}
	expect(t, c.PostFormNoCSRF("/staff/signin/password", url.Values{"new_password": {mine}, "new_password2": {mine}}), 403, "")
	expect(t, c.PostForm("/staff/signin/password", form(temp, temp)), 422, "")
	expect(t, c.PostForm("/staff/signin/password", form(mine, mine+"!")), 422, "")
	expect(t, c.PostForm("/staff/signin/password", form(mine, mine)), 303, "/staff/signin/setup")

	// A new second factor, not the old one.
	secret, csrf := setupSecret(t, c)
	if secret == c.Secret {
		t.Fatal("the reset kept the old TOTP secret")
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	expect(t, c.PostForm("/staff/signin/setup", url.Values{"_csrf": {csrf}, "code": {code}}), 200, "")
	expect(t, c.Get("/staff/account"), 200, "")
	// From now on her own password signs in, the handed-over one does not.
	expect(t, c.PostForm("/staff/signout", nil), 303, "/staff/signin")
	expect(t, c.Password(c.User.Email, temp), 422, "")
	expect(t, c.Password(c.User.Email, mine), 303, "/staff/signin/code")
}

// TestPendingTOTPSecretOnlyForItsSession: the secret being set up is shown
// to the session that started the set-up, again on reload, and to no other
// session of the same user (someone else who has the password). Each
// session confirms only its own; the first to confirm wins.
func TestPendingTOTPSecretOnlyForItsSession(t *testing.T) {
	env := servertest.Start(t)
	u := stafftest.NewUser(t, env, "coordinator")
	a := stafftest.NewClient(t, env.URL)
	a.User = u
	expect(t, a.Password(u.Email, stafftest.Password), 303, "/staff/signin/setup")
	sa, csrfA := setupSecret(t, a)
	if again, _ := setupSecret(t, a); again != sa {
		t.Fatal("a reload in the same session shows another secret")
	}
	b := stafftest.NewClient(t, env.URL)
	b.User = u
	expect(t, b.Password(u.Email, stafftest.Password), 303, "/staff/signin/setup")
	body := expect(t, b.Get("/staff/signin/setup"), 200, "")
	if strings.Contains(body, sa) {
		t.Fatal("a second session is shown the secret another session is setting up")
	}
	sb, csrfB := setupSecret(t, b)
	if sb == sa {
		t.Fatal("two sessions share one pending secret")
	}
	// A code made with the other session's secret confirms nothing.
	wrong, _ := totp.GenerateCode(sa, time.Now())
	expect(t, b.PostForm("/staff/signin/setup", url.Values{"_csrf": {csrfB}, "code": {wrong}}), 422, "")
	// The first session confirms its own secret and is signed in.
	codeA, _ := totp.GenerateCode(sa, time.Now())
	expect(t, a.PostForm("/staff/signin/setup", url.Values{"_csrf": {csrfA}, "code": {codeA}}), 200, "")
	expect(t, a.Get("/staff/"), 200, "")
	// The second one is sent back to sign in (with the code now).
	codeB, _ := totp.GenerateCode(sb, time.Now())
	expect(t, b.PostForm("/staff/signin/setup", url.Values{"_csrf": {csrfB}, "code": {codeB}}), 303, "/staff/signin")
	expect(t, b.Get("/staff/signin/setup"), 303, "/staff/signin")
	expect(t, b.Get("/staff/"), 303, "/staff/signin")
}
