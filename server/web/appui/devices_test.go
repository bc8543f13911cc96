package appui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestDevicePages: admins see the tablets and revoke one; the revoked
// token stops working at once; other roles may not.
func TestDevicePages(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	dev, token, err := env.Deps.Devices.Create(ctx, "someone", "Tablet Noord")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := servertest.Client().Get(env.URL + "/staff/devices"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed out: %d", res.StatusCode)
	}
	handler := stafftest.SignIn(t, env, "handler")
	if st, _ := handler.Page("/staff/devices"); st != http.StatusForbidden {
		t.Fatalf("handler sees devices: %d", st)
	}
	admin := stafftest.SignIn(t, env, "admin")
	st, body := admin.Page("/staff/devices")
	if st != 200 || !strings.Contains(body, "Tablet Noord") || !strings.Contains(body, "/staff/devices/"+dev.ID+"/revoke") {
		t.Fatalf("device page: %d\n%s", st, body)
	}
	if strings.Contains(body, token) {
		t.Fatal("the page shows the token")
	}
	if res := admin.PostFormNoCSRF("/staff/devices/"+dev.ID+"/revoke", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("revoke without CSRF: %d", res.StatusCode)
	}
	res := admin.PostForm("/staff/devices/"+dev.ID+"/revoke", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if _, err := env.Deps.Devices.Authenticate(ctx, token); err == nil {
		t.Fatal("a revoked token still works")
	}
	st, body = admin.Page("/staff/devices?done=revoked")
	if st != 200 || !strings.Contains(body, "ingetrokken") && !strings.Contains(body, "revoked") {
		t.Fatalf("after revoking: %d", st)
	}
	if res := admin.PostForm("/staff/devices/nope/revoke", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown device: %d", res.StatusCode)
	}
}
