// Package stafftest signs staff users in through the real pages of a
// running server, for tests of anything behind auth.Require.
package stafftest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/staff"
)

// Password is the password of every user SignIn makes.
const Password = "correct horse battery staple"

// Client is an HTTP client signed in as one staff user. It does not follow
// redirects, so tests see the status codes the server sends.
type Client struct {
	*http.Client
	T        testing.TB
	URL      string
	User     *staff.User
	Secret   string   // the TOTP secret set up at first sign-in
	Recovery []string // the recovery codes shown after set-up
	csrf     string
}

var seq atomic.Int64

// Service returns a staff service on the server's database.
func Service(env *servertest.Env) *staff.Service {
	return staff.New(staff.Config{Store: env.Deps.Store, Sealer: env.Deps.Sealer, LimitNow: env.Config.RateLimitClock})
}

// NewUser creates a user with role and the known Password.
func NewUser(t testing.TB, env *servertest.Env, role string) *staff.User {
	t.Helper()
	n := seq.Add(1)
	u, err := Service(env).Create(t.Context(), staff.NewUser{
		Email: fmt.Sprintf("%s%d-%d@desk.test", role, n, time.Now().UnixNano()%1e6),
		Name:  fmt.Sprintf("Test %s %d", role, n), Role: role, Lang: "en", Password: Password,
	})
	if err != nil {
		t.Fatalf("stafftest: create user: %v", err)
	}
	return u
}

// SignIn creates a user with role and signs in through the real pages:
// password, TOTP set-up with a code computed from the secret the page
// shows, then the recovery codes page.
func SignIn(t testing.TB, env *servertest.Env, role string) *Client {
	t.Helper()
	u := NewUser(t, env, role)
	c := NewClient(t, env.URL)
	c.User = u
	c.SetUp(Password)
	return c
}

// NewClient returns a client with an empty cookie jar.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{T: t, URL: base, Client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	csrfRe   = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	secretRe = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	codesRe  = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

// Password posts the password form and returns the response (303 to the
// code or set-up step when right).
func (c *Client) Password(email, password string) *http.Response {
	c.T.Helper()
	_, body := c.Page("/staff/signin")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		c.T.Fatalf("stafftest: no csrf on the sign-in page")
	}
	return c.post("/staff/signin", url.Values{"_csrf": {m[1]}, "email": {email}, "password": {password}})
}

// SetUp signs the (new) user in for the first time and sets up TOTP.
func (c *Client) SetUp(password string) {
	c.T.Helper()
	res := c.Password(c.User.Email, password)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/staff/signin/setup" {
		c.T.Fatalf("stafftest: password step: %d %s", res.StatusCode, loc)
	}
	status, body := c.Page("/staff/signin/setup")
	m, s := csrfRe.FindStringSubmatch(body), secretRe.FindStringSubmatch(body)
	if status != 200 || m == nil || s == nil {
		c.T.Fatalf("stafftest: set-up page: %d", status)
	}
	c.Secret = s[1]
	code, _ := totp.GenerateCode(c.Secret, time.Now())
	res = c.post("/staff/signin/setup", url.Values{"_csrf": {m[1]}, "code": {code}})
	body = ReadBody(res)
	if res.StatusCode != 200 {
		c.T.Fatalf("stafftest: set-up code: %d", res.StatusCode)
	}
	for _, m := range codesRe.FindAllStringSubmatch(body, -1) {
		c.Recovery = append(c.Recovery, m[1])
	}
	if len(c.Recovery) != staff.RecoveryCodes {
		c.T.Fatalf("stafftest: %d recovery codes shown", len(c.Recovery))
	}
	c.csrf = ""
}

// SignInAgain signs in an existing user with a code computed from Secret
// at time at (pass a time in the next 30-second step when the current
// one's code was used already). It returns the code step's response.
func (c *Client) SignInAgain(code string) *http.Response {
	c.T.Helper()
	res := c.Password(c.User.Email, Password)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/staff/signin/code" {
		c.T.Fatalf("stafftest: password step: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.Page("/staff/signin/code")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		c.T.Fatalf("stafftest: no csrf on the code page")
	}
	c.csrf = ""
	return c.post("/staff/signin/code", url.Values{"_csrf": {m[1]}, "code": {code}})
}

// CSRF returns the session's CSRF token, read from a staff page.
func (c *Client) CSRF() string {
	c.T.Helper()
	if c.csrf == "" {
		_, body := c.Page("/staff/account")
		m := csrfRe.FindStringSubmatch(body)
		if m == nil {
			c.T.Fatalf("stafftest: no csrf token on /staff/account (signed out?)")
		}
		c.csrf = m[1]
	}
	return c.csrf
}

// Get requests path (relative to the server URL).
func (c *Client) Get(path string) *http.Response {
	c.T.Helper()
	req, _ := http.NewRequestWithContext(c.T.Context(), http.MethodGet, c.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		c.T.Fatalf("stafftest: GET %s: %v", path, err)
	}
	return res
}

// Page gets path and returns the status and body.
func (c *Client) Page(path string) (int, string) {
	c.T.Helper()
	res := c.Get(path)
	return res.StatusCode, ReadBody(res)
}

// PostForm posts a form to path with the session's CSRF token added.
func (c *Client) PostForm(path string, v url.Values) *http.Response {
	c.T.Helper()
	if v == nil {
		v = url.Values{}
	}
	if v.Get("_csrf") == "" {
		v.Set("_csrf", c.CSRF())
	}
	return c.post(path, v)
}

// PostFormNoCSRF posts without a CSRF token (for rejection tests).
func (c *Client) PostFormNoCSRF(path string, v url.Values) *http.Response {
	c.T.Helper()
	return c.post(path, v)
}

func (c *Client) post(path string, v url.Values) *http.Response {
	c.T.Helper()
	req, _ := http.NewRequestWithContext(c.T.Context(), http.MethodPost, c.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		c.T.Fatalf("stafftest: POST %s: %v", path, err)
	}
	return res
}

// JSON sends a JSON body with the CSRF header (for staff API routes such
// as push subscriptions).
func (c *Client) JSON(method, path string, body any) *http.Response {
	c.T.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.T.Fatalf("stafftest: marshal: %v", err)
		}
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequestWithContext(c.T.Context(), method, c.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	res, err := c.Do(req)
	if err != nil {
		c.T.Fatalf("stafftest: %s %s: %v", method, path, err)
	}
	return res
}

// ReadBody reads and closes a response body.
func ReadBody(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
