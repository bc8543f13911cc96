package auth_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/web/auth"
)

// TestGuardNeedsNoStaffRoutes: a route group guarded by auth.Require works
// with nothing but Sessions.Install in front of it — no staff pages are
// mounted at all, so the order in which audiences mount their routes
// cannot matter. The session comes from its cookie, the role is checked,
// a refusal is audited, a post needs the session's CSRF token.
func TestGuardNeedsNoStaffRoutes(t *testing.T) {
	ctx := t.Context()
	st := storetest.New(t)
	if err := st.EnsureIndexes(ctx, append(staff.Indexes(), audit.Indexes()...)...); err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(st)
	svc := staff.New(staff.Config{Store: st, Sealer: sealer, Audit: log})
	signedIn := func(role string) (*staff.User, string, string) {
		u, err := svc.Create(ctx, staff.NewUser{Email: role + "@desk.test", Name: "Test " + role, Role: role, Lang: "en",
			Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}
		tok, sess, err := svc.StartSession(ctx, u.ID, staff.StageFull)
		if err != nil {
			t.Fatal(err)
		}
		return u, tok, sess.CSRF
	}
	coord, coordTok, coordCSRF := signedIn(staff.RoleCoordinator)
	_, handlerTok, _ := signedIn(staff.RoleHandler)

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	(&auth.Sessions{Staff: svc, Audit: log}).Install(app)
	g := app.Group("/staff/probe", auth.Require(staff.RoleCoordinator))
	who := func(c *fiber.Ctx) error { return c.SendString(auth.CurrentUser(c).ID) }
	g.Get("/", who)
	g.Post("/", who)

	do := func(method, token, csrf string) (int, string, *http.Response) {
		t.Helper()
		req := httptest.NewRequest(method, "/staff/probe/", nil)
		if token != "" {
			req.AddCookie(&http.Cookie{Name: auth.Cookies{}.SessionName(), Value: token})
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body), res
	}

	if code, _, res := do(fiber.MethodGet, "", ""); code != fiber.StatusSeeOther || res.Header.Get("Location") != "/staff/signin" {
		t.Errorf("no session: %d to %q, want 303 to /staff/signin", code, res.Header.Get("Location"))
	}
	code, body, res := do(fiber.MethodGet, coordTok, "")
	if code != fiber.StatusOK || body != coord.ID {
		t.Errorf("coordinator: %d %q, want 200 and her id", code, body)
	}
	if cc := res.Header.Get(fiber.HeaderCacheControl); cc != "no-store" {
		t.Errorf("staff page Cache-Control %q, want no-store", cc)
	}
	if code, _, _ := do(fiber.MethodPost, coordTok, ""); code != fiber.StatusForbidden {
		t.Errorf("post without CSRF: %d, want 403", code)
	}
	if code, body, _ := do(fiber.MethodPost, coordTok, coordCSRF); code != fiber.StatusOK || body != coord.ID {
		t.Errorf("post with CSRF: %d %q, want 200 and her id", code, body)
	}
	if code, _, _ := do(fiber.MethodGet, handlerTok, ""); code != fiber.StatusForbidden {
		t.Errorf("handler on a coordinator route: %d, want 403", code)
	}
	denied, err := log.List(ctx, audit.Filter{Action: audit.AccessDenied})
	if err != nil {
		t.Fatal(err)
	}
	// The coordinator's post without a token, and the handler's visit.
	if len(denied) != 2 {
		t.Errorf("refusals audited: %+v, want 2", denied)
	}
}
