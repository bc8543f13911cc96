package staffui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/stafftest"
)

func newCase(t *testing.T, env *servertest.Env, mod func(*cases.Input)) cases.Result {
	t.Helper()
	in := cases.Input{Kind: "complaint", Category: "business.bank", Description: "The bank closed my account.",
		About: "Bank X", Municipality: "Amsterdam", Wish: "handle", Language: "en", ShareIdentity: true,
		Identity: cases.Identity{Mode: "named", Name: "Anna", Contact: "06-12345678"}}
	if mod != nil {
		mod(&in)
	}
	r, err := env.Deps.Cases.Create(t.Context(), in, cases.ChannelWeb)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func assign(t *testing.T, env *servertest.Env, caseID, userID string) {
	t.Helper()
	if _, err := env.Deps.Cases.Assign(t.Context(), caseID, "test", userID); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, env *servertest.Env, id string) cases.State {
	t.Helper()
	c, err := env.Deps.Cases.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.State
}

func expect(t *testing.T, res *http.Response, status int, location string) string {
	t.Helper()
	body := stafftest.ReadBody(res)
	if res.StatusCode != status || (location != "" && res.Header.Get("Location") != location) {
		t.Fatalf("%s %s: got %d %q, want %d %q\n%.400s", res.Request.Method, res.Request.URL.Path,
			res.StatusCode, res.Header.Get("Location"), status, location, body)
	}
	return body
}

// TestRoleMatrix tries every role on every staff route: allowed routes
// answer anything but 403 (and do not send to the sign-in page), others 403.
func TestRoleMatrix(t *testing.T) {
	env := servertest.Start(t)
	roles := []string{"admin", "coordinator", "handler", "outreach"}
	all := roles
	desk := []string{"admin", "coordinator", "handler"}
	coord := []string{"admin", "coordinator"}
	admin := []string{"admin"}
	th, err := env.Deps.Cases.CreateTheme(t.Context(), "test", "Bank refuses accounts", "business", "Bank X")
	if err != nil {
		t.Fatal(err)
	}
	type route struct {
		method, path string
		form         url.Values
		allowed      []string
	}
	for _, role := range roles {
		c := stafftest.SignIn(t, env, role)
		k := newCase(t, env, nil)
		if role == "handler" {
			assign(t, env, k.ID, c.User.ID)
		}
		target := stafftest.NewUser(t, env, "handler")
		cp := "/staff/cases/" + k.ID
		routes := []route{
			{"GET", "/staff/", nil, desk},
			{"GET", "/staff", nil, desk},
			{"GET", "/staff/account", nil, all},
			{"POST", "/staff/account/lang", url.Values{"lang": {"en"}}, all},
			{"POST", "/staff/account/recovery", nil, all},
			{"POST", "/staff/account/password", url.Values{"current_password": {"wrong"}}, all},
			{"GET", cp, nil, desk},
			{"POST", cp + "/priority", url.Values{"priority": {"1"}}, desk},
			{"POST", cp + "/state", url.Values{"to": {"triage"}}, desk},
			{"POST", cp + "/close", url.Values{"outcome": {"resolved"}}, desk},
			{"POST", cp + "/message", url.Values{"line": {"Hello"}, "action": {"send"}}, desk},
			{"POST", cp + "/note", url.Values{"body": {"note"}}, desk},
			{"POST", cp + "/extend", nil, desk},
			{"POST", cp + "/referral", url.Values{"org": {"Local project"}, "consent": {"1"}}, desk},
			{"POST", cp + "/contact", nil, desk},
			{"POST", cp + "/reopen", url.Values{"decision": {"refuse"}}, coord},
			{"POST", cp + "/theme", url.Values{"theme": {th.ID}}, coord},
			{"POST", cp + "/unlink", url.Values{"theme": {th.ID}}, coord},
			{"POST", cp + "/assign", url.Values{"to": {""}}, desk},
			{"GET", "/staff/themes", nil, coord},
			{"POST", "/staff/themes", url.Values{"title": {"T " + role}}, coord},
			{"GET", "/staff/themes/" + th.ID, nil, coord},
			{"POST", "/staff/themes/" + th.ID + "/note", url.Values{"note": {"n"}}, coord},
			{"GET", "/staff/themes/" + th.ID + "/answer?text=reading", nil, coord},
			{"GET", "/staff/users", nil, admin},
			{"POST", "/staff/users", url.Values{"email": {role + "-new@desk.test"}, "role": {"handler"}, "password": {stafftest.Password}}, admin},
			{"POST", "/staff/users/" + target.ID + "/role", url.Values{"role": {"coordinator"}}, admin},
			{"POST", "/staff/users/" + target.ID + "/reset-totp", nil, admin},
			{"POST", "/staff/users/" + target.ID + "/reset", url.Values{"password": {"a temporary password"}}, admin},
			{"POST", "/staff/users/" + target.ID + "/disable", nil, admin},
			{"POST", "/staff/users/" + target.ID + "/enable", nil, admin},
			{"GET", "/staff/audit", nil, admin},
			{"GET", "/staff/texts", nil, coord},
			{"GET", "/staff/texts/reading", nil, coord},
			{"POST", "/staff/texts/reading", url.Values{"state": {"received"}}, coord},
			{"POST", "/staff/texts", url.Values{"name": {"t_" + role}, "title": {"T"}, "body_nl": {"Tekst"}}, coord},
			{"GET", "/staff/referrals", nil, desk},
			{"GET", "/staff/retention", nil, admin},
			{"POST", "/staff/retention/run", nil, admin},
			{"POST", "/staff/signout/all", nil, all},
		}
		for _, r := range routes {
			var res *http.Response
			if r.method == "GET" {
				res = c.Get(r.path)
			} else {
				res = c.PostForm(r.path, r.form)
			}
			stafftest.ReadBody(res)
			ok := slices.Contains(r.allowed, role)
			signin := res.Header.Get("Location") == "/staff/signin" && r.path != "/staff/signout/all"
			switch {
			case ok && (res.StatusCode == 403 || res.StatusCode == 401 || signin || res.StatusCode >= 500):
				t.Errorf("%s %s %s: %d %s, want allowed", role, r.method, r.path, res.StatusCode, res.Header.Get("Location"))
			case !ok && res.StatusCode != 403:
				t.Errorf("%s %s %s: %d, want 403", role, r.method, r.path, res.StatusCode)
			}
		}
		// Signed out everywhere: every staff page now sends to sign-in.
		expect(t, c.Get("/staff/account"), 303, "/staff/signin")
	}
	// Nobody signed in.
	anon := stafftest.NewClient(t, env.URL)
	expect(t, anon.Get("/staff/"), 303, "/staff/signin")
	req, _ := http.NewRequest("GET", env.URL+"/staff/", nil)
	req.Header.Set("Accept", "application/json")
	res, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	stafftest.ReadBody(res)
	if res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("anonymous JSON: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestGuessingAnotherHandlersCase(t *testing.T) {
	env := servertest.Start(t)
	a := stafftest.SignIn(t, env, "handler")
	b := stafftest.NewUser(t, env, "handler")
	theirs := newCase(t, env, nil)
	assign(t, env, theirs.ID, b.ID)
	free := newCase(t, env, nil)
	expect(t, a.Get("/staff/cases/"+theirs.ID), 404, "")
	expect(t, a.PostForm("/staff/cases/"+theirs.ID+"/note", url.Values{"body": {"x"}}), 404, "")
	expect(t, a.PostForm("/staff/cases/"+theirs.ID+"/assign", url.Values{"to": {a.User.ID}}), 404, "")
	expect(t, a.Get("/staff/cases/00000000-0000-0000-0000-000000000000"), 404, "")
	// Unassigned: may read and take, not act before taking.
	body := expect(t, a.Get("/staff/cases/"+free.ID), 200, "")
	if strings.Contains(body, "06-12345678") {
		t.Error("contact details shown without asking")
	}
	expect(t, a.PostForm("/staff/cases/"+free.ID+"/note", url.Values{"body": {"x"}}), 403, "")
	expect(t, a.PostForm("/staff/cases/"+free.ID+"/contact", nil), 403, "")
	expect(t, a.PostForm("/staff/cases/"+free.ID+"/assign", url.Values{"to": {b.ID}}), 403, "")
	expect(t, a.PostForm("/staff/cases/"+free.ID+"/assign", url.Values{"to": {a.User.ID}}), 303, "/staff/cases/"+free.ID+"?done=assigned")
	body = expect(t, a.PostForm("/staff/cases/"+free.ID+"/contact", nil), 200, "")
	if !strings.Contains(body, "06-12345678") {
		t.Error("assigned handler with sharing allowed does not see contact")
	}
	// The inbox lists only own and unassigned cases.
	_, inbox := a.Page("/staff/")
	if strings.Contains(inbox, theirs.ID) || !strings.Contains(inbox, free.ID) {
		t.Error("inbox shows another handler's case")
	}
	// Outreach never sees cases.
	o := stafftest.SignIn(t, env, "outreach")
	expect(t, o.Get("/staff/cases/"+free.ID), 403, "")
}

// TestContactForTheAssignedHandler: her contact details are for the desk.
// The handler assigned to her case sees them (audited) even when she chose
// not to share her identity with the organisation; another handler does not.
func TestContactForTheAssignedHandler(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	other := stafftest.SignIn(t, env, "handler")
	co := stafftest.SignIn(t, env, "coordinator")
	k := newCase(t, env, func(in *cases.Input) { in.ShareIdentity = false })
	assign(t, env, k.ID, h.User.ID)
	body := expect(t, h.PostForm("/staff/cases/"+k.ID+"/contact", nil), 200, "")
	if !strings.Contains(body, "06-12345678") {
		t.Error("assigned handler does not see contact")
	}
	expect(t, other.PostForm("/staff/cases/"+k.ID+"/contact", nil), 404, "")
	body = expect(t, co.PostForm("/staff/cases/"+k.ID+"/contact", nil), 200, "")
	if !strings.Contains(body, "06-12345678") {
		t.Error("coordinator does not see contact")
	}
	es, _ := env.Deps.Audit.List(t.Context(), audit.Filter{CaseID: k.ID, Action: audit.CaseContact})
	if len(es) != 2 {
		t.Errorf("contact showings not audited: %+v", es)
	}
}

func TestCSRFRejected(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "coordinator")
	k := newCase(t, env, nil)
	p := "/staff/cases/" + k.ID + "/note"
	expect(t, c.PostFormNoCSRF(p, url.Values{"body": {"x"}}), 403, "")
	expect(t, c.PostFormNoCSRF(p, url.Values{"body": {"x"}, "_csrf": {"forged"}}), 403, "")
	other := stafftest.SignIn(t, env, "coordinator")
	expect(t, c.PostFormNoCSRF(p, url.Values{"body": {"x"}, "_csrf": {other.CSRF()}}), 403, "")
	expect(t, c.PostForm(p, url.Values{"body": {"x"}}), 303, "/staff/cases/"+k.ID+"?done=noted")
	// The sign-in form needs its own token too.
	anon := stafftest.NewClient(t, env.URL)
	res, _ := anon.Client.PostForm(env.URL+"/staff/signin", url.Values{"email": {c.User.Email}, "password": {stafftest.Password}})
	expect(t, res, 403, "")
}

func cookie(c *stafftest.Client, name string) string {
	u, _ := url.Parse(c.URL + "/staff/")
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

func setCookie(c *stafftest.Client, name, value string) {
	u, _ := url.Parse(c.URL + "/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// csrfOf is the value of the page's first CSRF field ("" if none).
func csrfOf(body string) string {
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return ""
	}
	return d.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
}

// TestSessionFixationAndRotation: a token the browser brings is never
// adopted, and the token changes between the password step and the end.
func TestSessionFixationAndRotation(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "handler")
	expect(t, c.PostForm("/staff/signout", nil), 303, "/staff/signin")

	planted := "attacker-chosen-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	setCookie(c, "gehoord_staff", planted)
	res := c.Password(c.User.Email, stafftest.Password)
	expect(t, res, 303, "/staff/signin/code")
	pre := cookie(c, "gehoord_staff")
	if pre == "" || pre == planted {
		t.Fatalf("pre-auth token %q", pre)
	}
	// Half signed in is not signed in.
	expect(t, c.Get("/staff/"), 303, "/staff/signin")
	_, body := c.Page("/staff/signin/code")
	code, _ := totp.GenerateCode(c.Secret, time.Now().Add(30*time.Second))
	res = c.PostForm("/staff/signin/code", url.Values{"_csrf": {csrfOf(body)}, "code": {code}})
	expect(t, res, 303, "/staff/")
	full := cookie(c, "gehoord_staff")
	if full == "" || full == pre || full == planted {
		t.Fatalf("token not rotated: %q %q", pre, full)
	}
	expect(t, c.Get("/staff/"), 200, "")
	// The pre-auth token and the planted one open nothing.
	for _, tok := range []string{pre, planted} {
		o := stafftest.NewClient(t, env.URL)
		setCookie(o, "gehoord_staff", tok)
		expect(t, o.Get("/staff/"), 303, "/staff/signin")
	}
	// The cookie is HttpOnly and SameSite=Strict.
	o := stafftest.NewClient(t, env.URL)
	o.User = stafftest.NewUser(t, env, "handler")
	res = o.Password(o.User.Email, stafftest.Password)
	sc := res.Header.Get("Set-Cookie")
	stafftest.ReadBody(res)
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(strings.ToLower(sc), "samesite=strict") {
		t.Errorf("cookie %q", sc)
	}
}

func TestSessionExpiry(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "coordinator")
	expect(t, c.Get("/staff/"), 200, "")
	sessions := env.Deps.Store.C("sessions")
	_, err := sessions.UpdateMany(t.Context(), bson.M{"user_id": c.User.ID},
		bson.M{"$set": bson.M{"seen_at": time.Now().Add(-31 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c.Get("/staff/"), 303, "/staff/signin")
	d := stafftest.SignIn(t, env, "coordinator")
	_, err = sessions.UpdateMany(t.Context(), bson.M{"user_id": d.User.ID},
		bson.M{"$set": bson.M{"created_at": time.Now().Add(-12*time.Hour - time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, d.Get("/staff/"), 303, "/staff/signin")
}

func TestTOTPSignInAndRecoveryCodesOnce(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.SignIn(t, env, "handler")
	// The set-up page showed a QR code image.
	expect(t, c.PostForm("/staff/signout", nil), 303, "/staff/signin")
	expect(t, c.SignInAgain("000000"), 422, "")
	code, _ := totp.GenerateCode(c.Secret, time.Now().Add(30*time.Second))
	expect(t, c.SignInAgain(code), 303, "/staff/")
	expect(t, c.Get("/staff/"), 200, "")
	expect(t, c.PostForm("/staff/signout", nil), 303, "/staff/signin")
	expect(t, c.SignInAgain(c.Recovery[0]), 303, "/staff/")
	expect(t, c.PostForm("/staff/signout", nil), 303, "/staff/signin")
	expect(t, c.SignInAgain(c.Recovery[0]), 422, "")
	expect(t, c.SignInAgain(c.Recovery[1]), 303, "/staff/")
	es, _ := env.Deps.Audit.List(t.Context(), audit.Filter{UserID: c.User.ID})
	var acts []string
	for _, e := range es {
		acts = append(acts, e.Action)
	}
	for _, want := range []string{audit.SignIn, audit.SignInFailed, audit.TOTPSetup, audit.RecoveryUsed, audit.SignOut} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

func TestSetupPageShowsQRAndSecret(t *testing.T) {
	env := servertest.Start(t)
	c := stafftest.NewClient(t, env.URL)
	c.User = stafftest.NewUser(t, env, "coordinator")
	expect(t, c.Password(c.User.Email, stafftest.Password), 303, "/staff/signin/setup")
	body := expect(t, c.Get("/staff/signin/setup"), 200, "")
	if count(t, body, `img[src^="data:image/png;base64,"]`) == 0 || count(t, body, "#totp-secret") != 1 {
		t.Error("no QR code or text secret")
	}
}

func statusOf(t *testing.T, env *servertest.Env, receipt string) (string, []map[string]any) {
	t.Helper()
	res, err := http.Post(env.URL+"/api/v1/status", "application/json", strings.NewReader(`{"receipt":"`+receipt+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		State    string           `json:"state"`
		Messages []map[string]any `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return out.State, out.Messages
}

func TestStandardTextInHerLanguageOnStatus(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	for _, lang := range []string{"nl", "en", "ro", "th"} {
		k := newCase(t, env, func(in *cases.Input) { in.Language = lang })
		assign(t, env, k.ID, h.User.ID)
		p := "/staff/cases/" + k.ID + "/message"
		// Preview in her language first.
		body := expect(t, h.PostForm(p, url.Values{"text": {"reading"}, "line": {"Kind regards, Sam"}, "action": {"preview"}}), 200, "")
		want := env.Deps.Catalog.T(lang, "std.reading.body", "reference", k.Reference)
		if count(t, body, "#preview") != 1 || !strings.Contains(body, strings.SplitN(want, " ", 4)[2]) {
			t.Errorf("%s: no preview", lang)
		}
		expect(t, h.PostForm(p, url.Values{"text": {"reading"}, "line": {"Kind regards, Sam"}, "action": {"send"}}), 303, "/staff/cases/"+k.ID+"?done=sent")
		_, msgs := statusOf(t, env, k.Receipt)
		last := msgs[len(msgs)-1]
		if last["from"] != "desk" || last["body"] != want+"\n\nKind regards, Sam" {
			t.Errorf("%s: status shows %q, want %q", lang, last["body"], want)
		}
	}
}

func TestReplyFlipsStateAndTopsInbox(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	older := newCase(t, env, nil)
	k := newCase(t, env, nil)
	for _, id := range []string{older.ID, k.ID} {
		assign(t, env, id, h.User.ID)
	}
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/state", url.Values{"to": {"triage"}}), 303, "")
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/state", url.Values{"to": {"advice"}}), 303, "")
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/state", url.Values{"to": {"waiting_for_reply"}}), 303, "")
	res, err := http.Post(env.URL+"/api/v1/status/messages", "application/json",
		strings.NewReader(`{"receipt":"`+k.Receipt+`","body":"Here is more."}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("reply: %v %v", err, res.StatusCode)
	}
	res.Body.Close()
	if s := state(t, env, k.ID); s != cases.StateReplyReceived {
		t.Fatalf("state %s", s)
	}
	_, inbox := h.Page("/staff/")
	if i, j := strings.Index(inbox, k.ID), strings.Index(inbox, older.ID); i < 0 || j < 0 || i > j {
		t.Error("her reply did not put the case on top")
	}
	body := expect(t, h.Get("/staff/cases/"+k.ID), 200, "")
	if !strings.Contains(body, "Here is more.") {
		t.Error("her reply not in the thread")
	}
}

func TestRouteCloseAndReopenRequest(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	co := stafftest.SignIn(t, env, "coordinator")
	k := newCase(t, env, nil)
	assign(t, env, k.ID, h.User.ID)
	cp := "/staff/cases/" + k.ID
	// A route cannot be skipped to, and declining needs reasons.
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"advice"}}), 422, "")
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"triage"}}), 303, "")
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"declined"}}), 422, "")
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"listening"}}), 303, "")
	// Feedback only after the reasoned answer was sent to her.
	body := expect(t, h.PostForm(cp+"/state", url.Values{"to": {"feedback"}}), 422, "")
	if count(t, body, "#case-error") != 1 {
		t.Error("no error shown")
	}
	body = expect(t, h.PostForm(cp+"/close", url.Values{"outcome": {"unfounded"}}), 422, "")
	if count(t, body, "#case-error") != 1 {
		t.Error("no error shown")
	}
	expect(t, h.PostForm(cp+"/message", url.Values{"text": {"unfounded"}, "line": {"Why."}, "action": {"send"}}), 303, "")
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"feedback"}}), 303, "")
	expect(t, h.PostForm(cp+"/close", url.Values{"outcome": {"unfounded"}}), 303, cp+"?done=closed")
	// She says she did not feel heard, on her status page.
	// Her status page names the case in its forms by a token, not the receipt.
	res, err := http.PostForm(env.URL+"/en/status", url.Values{"receipt": {k.Receipt}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("status page: %v %d", err, res.StatusCode)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token, ok := dom(t, string(page)).Find(`form[action="/en/status/heard"] input[type="hidden"][name="t"]`).Attr("value")
	if !ok || token == "" {
		t.Fatal("no \"did you feel heard?\" form on her status page")
	}
	res, err = http.PostForm(env.URL+"/en/status/heard", url.Values{"t": {token}, "heard": {"no"}, "reason": {"Nobody listened."}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("heard: %v %d", err, res.StatusCode)
	}
	res.Body.Close()
	if s := state(t, env, k.ID); s != cases.StateReopenRequested {
		t.Fatalf("state %s", s)
	}
	// The handler may not decide; the coordinator reopens.
	expect(t, h.PostForm(cp+"/reopen", url.Values{"decision": {"reopen"}}), 403, "")
	expect(t, h.PostForm(cp+"/state", url.Values{"to": {"reopened"}}), 403, "")
	expect(t, co.PostForm(cp+"/reopen", url.Values{"decision": {"reopen"}}), 303, cp+"?done=reopened")
	if s := state(t, env, k.ID); s != cases.StateReopened {
		t.Fatalf("state %s", s)
	}
	body = expect(t, co.Get(cp), 200, "")
	if !strings.Contains(body, "Nobody listened.") {
		t.Error("her reason is not on the timeline")
	}
}

func TestExtensionOnceWithNotice(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	k := newCase(t, env, func(in *cases.Input) { in.Language = "nl" })
	assign(t, env, k.ID, h.User.ID)
	// Extending asks for confirmation first.
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/extend", nil), 422, "")
	confirm := url.Values{"confirm": {"1"}}
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/extend", confirm), 303, "/staff/cases/"+k.ID+"?done=extended")
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/extend", confirm), 422, "")
	_, msgs := statusOf(t, env, k.Receipt)
	if last := msgs[len(msgs)-1]["body"].(string); !strings.Contains(last, "meer tijd") {
		t.Errorf("notice %q", last)
	}
}

func TestThemeLinkingAndDuplicateSuggestion(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	a := newCase(t, env, nil)
	b := newCase(t, env, func(in *cases.Input) { in.About = " BANK x"; in.Municipality = "amsterdam" })
	c := newCase(t, env, func(in *cases.Input) { in.Municipality = "Rotterdam" })
	body := expect(t, co.Get("/staff/cases/"+a.ID), 200, "")
	sim := body[strings.Index(body, `id="similar"`):]
	sim = sim[:strings.Index(sim, "</ul>")]
	// Suggested across municipalities too: an organisation works in several.
	if !strings.Contains(sim, b.ID) || !strings.Contains(sim, c.ID) {
		t.Errorf("similar: %s", sim)
	}
	res := co.PostForm("/staff/themes", url.Values{"title": {"Bank refuses business accounts"}, "org_type": {"business"}, "org_name": {"Bank X"}})
	stafftest.ReadBody(res)
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(loc, "/staff/themes/") {
		t.Fatalf("create theme: %d %s", res.StatusCode, loc)
	}
	themeID := strings.TrimSuffix(strings.TrimPrefix(loc, "/staff/themes/"), "?done=theme_added")
	for _, id := range []string{a.ID, b.ID} {
		expect(t, co.PostForm("/staff/cases/"+id+"/theme", url.Values{"theme": {themeID}}), 303, "/staff/cases/"+id+"?done=linked")
	}
	expect(t, co.PostForm("/staff/themes/"+themeID+"/note", url.Values{"note": {"We wrote to the bank."}}), 303, "")
	// Refusals through the one mapping: no such theme is a 404, a note
	// too long a 422, and neither changes the note.
	expect(t, co.PostForm("/staff/themes/nosuchtheme/note", url.Values{"note": {"x"}}), 404, "")
	expect(t, co.PostForm("/staff/themes/"+themeID+"/note", url.Values{"note": {strings.Repeat("x", cases.MaxMessage+1)}}), 422, "")
	expect(t, co.PostForm("/staff/reports/themes/nosuchtheme/summary", url.Values{"summary": {"x"}}), 404, "")
	body = expect(t, co.Get("/staff/themes/"+themeID), 200, "")
	if !strings.Contains(body, a.ID) || !strings.Contains(body, b.ID) || strings.Contains(body, c.ID) ||
		!strings.Contains(body, "We wrote to the bank.") || !strings.Contains(body, "2 open") {
		t.Errorf("theme page: %.2000s", body)
	}
	_, inbox := co.Page("/staff/?theme=" + themeID)
	if !strings.Contains(inbox, a.ID) || strings.Contains(inbox, c.ID) {
		t.Error("inbox theme filter")
	}
}

func TestAuditEntriesForViewAndChange(t *testing.T) {
	env := servertest.Start(t)
	co := stafftest.SignIn(t, env, "coordinator")
	ad := stafftest.SignIn(t, env, "admin")
	k := newCase(t, env, nil)
	expect(t, co.Get("/staff/cases/"+k.ID), 200, "")
	expect(t, co.PostForm("/staff/cases/"+k.ID+"/note", url.Values{"body": {"checked"}}), 303, "")
	es, err := env.Deps.Audit.List(t.Context(), audit.Filter{CaseID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.UserID == co.User.ID {
			got = append(got, e.Action+":"+e.Detail)
		}
	}
	if !slices.Contains(got, "case.view:") || !slices.Contains(got, "case.change:note") {
		t.Errorf("audit %v", got)
	}
	body := expect(t, ad.Get("/staff/audit?action=case.change&user="+co.User.ID), 200, "")
	rows := dom(t, body).Find("tbody tr")
	changed := rows.Filter(`[data-action="case.change"]`)
	// Rows name the case by its reference and the action in words.
	if !strings.Contains(rows.Text(), k.Reference) || rows.Filter(`[data-action="case.view"]`).Length() != 0 ||
		changed.Length() == 0 || changed.Find("td").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Case changed" }).Length() == 0 {
		t.Errorf("audit page filter: %.1500s", body)
	}
}

func TestAdminUsers(t *testing.T) {
	env := servertest.Start(t)
	ad := stafftest.SignIn(t, env, "admin")
	expect(t, ad.PostForm("/staff/users", url.Values{"email": {"new@desk.test"}, "name": {"New"}, "role": {"handler"}, "password": {"short"}}), 422, "")
	expect(t, ad.PostForm("/staff/users", url.Values{"email": {"new@desk.test"}, "name": {"New"}, "role": {"handler"}, "password": {stafftest.Password}}), 303, "/staff/users?done=user_added")
	u, err := stafftest.Service(env).ByEmail(t.Context(), "new@desk.test")
	if err != nil || u.Role != staff.RoleHandler {
		t.Fatal(err)
	}
	// The new user signs in and sets up TOTP; the admin resets it.
	c := stafftest.NewClient(t, env.URL)
	c.User = u
	c.SetUp(stafftest.Password)
	expect(t, c.Get("/staff/"), 200, "")
	expect(t, ad.PostForm("/staff/users/"+u.ID+"/reset-totp", nil), 303, "/staff/users?done=totp_reset")
	expect(t, c.Get("/staff/"), 303, "/staff/signin")
	expect(t, c.Password(u.Email, stafftest.Password), 303, "/staff/signin/setup")
	expect(t, ad.PostForm("/staff/users/"+u.ID+"/disable", nil), 303, "")
	expect(t, c.Password(u.Email, stafftest.Password), 422, "")
	// No locking oneself out.
	expect(t, ad.PostForm("/staff/users/"+ad.User.ID+"/disable", nil), 403, "")
}

// TestReferralSuggestionsFromSocialMap: the case file offers organisations
// of the social map that fit her municipality, subject and language, and a
// referral is recorded with her consent.
func TestReferralSuggestionsFromSocialMap(t *testing.T) {
	env := servertest.Start(t)
	ctx := t.Context()
	var geldhulp string
	for _, o := range []socialmap.Organisation{
		{Name: "Geldhulp Amsterdam", Topics: []string{"money"}, Regions: []string{"Amsterdam-Amstelland"}, Languages: []string{"nl", "ro"}, Phone: "020 123 4567", VerifiedOn: "2026-11-01"},
		{Name: "Woonloket Utrecht", Topics: []string{"housing"}, Regions: []string{"Utrecht"}, Languages: []string{"nl"}, Phone: "030 123 4567", VerifiedOn: "2026-11-01"},
	} {
		made, err := env.Deps.SocialMap.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if o.Name == "Geldhulp Amsterdam" {
			geldhulp = made.Key
		}
	}
	h := stafftest.SignIn(t, env, "handler")
	k := newCase(t, env, func(in *cases.Input) { in.Language = "ro" })
	assign(t, env, k.ID, h.User.ID)
	status, body := h.Page("/staff/cases/" + k.ID)
	// The suggestions (the select below them offers the whole map).
	if i := strings.Index(body, `id="referral-suggestions"`); i >= 0 {
		body = body[i : i+strings.Index(body[i:], "</ul>")]
	}
	if status != 200 || !strings.Contains(body, "Geldhulp Amsterdam") || strings.Contains(body, "Woonloket Utrecht") {
		t.Fatalf("suggestions: %d, has Geldhulp %v, has Woonloket %v", status, strings.Contains(body, "Geldhulp Amsterdam"), strings.Contains(body, "Woonloket Utrecht"))
	}
	// The organisation is chosen from the map by its key.
	expect(t, h.PostForm("/staff/cases/"+k.ID+"/referral", url.Values{"org": {geldhulp}, "consent": {"1"}}), 303, "")
	evs, err := env.Deps.Cases.Timeline(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(evs, func(e cases.Event) bool { return e.Type == cases.EventReferral }) {
		t.Fatal("referral not recorded on the timeline")
	}
}
