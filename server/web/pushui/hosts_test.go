package pushui_test

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// Any signed-in staff member, even outreach, could register an endpoint on
// loopback, the metadata address or an internal name, and one anonymous
// report made the server post there for a day. The server as
// deployed accepts the public push services' hosts only, and says so in
// the staff member's language.
func TestSubscribeRefusesOtherHosts(t *testing.T) {
	env := servertest.Start(t) // production settings: nothing on loopback
	c := stafftest.SignIn(t, env, "outreach")
	sub := pushtest.NewSubscriber(t)
	want := env.Deps.Catalog.T(c.User.Lang, "push.status.service")
	for _, ep := range []string{
		sub.Endpoint, // https://127.0.0.1:port
		"https://[::1]/push/x",
		"https://169.254.169.254/latest/meta-data/",
		"https://metadata.google.internal/computeMetadata/v1/",
		"https://push.example.com/x",
	} {
		body := subscriptionBody(t, sub, "")
		body["endpoint"] = ep
		res := send(t, c, "POST", "/api/v1/push/subscriptions", body)
		var p struct {
			Errors []struct{ Field, Detail string }
		}
		_ = json.Unmarshal([]byte(stafftest.ReadBody(res)), &p)
		if res.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "endpoint" || p.Errors[0].Detail != want {
			t.Errorf("%s: %d %+v, want 422 on endpoint with %q", ep, res.StatusCode, p.Errors, want)
		}
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), c.User.ID); len(devs) != 0 {
		t.Errorf("%d devices stored", len(devs))
	}
	// A real push service's endpoint is accepted (it is never sent to here).
	body := subscriptionBody(t, sub, "")
	body["endpoint"] = "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bExample"
	if res := send(t, c, "POST", "/api/v1/push/subscriptions", body); res.StatusCode != http.StatusCreated {
		t.Errorf("a push service's endpoint: %d %s", res.StatusCode, stafftest.ReadBody(res))
	}
	// The page has the message its script shows on that refusal (outreach
	// gets no notifications, so her page has no controls at all).
	k := stafftest.SignIn(t, env, "coordinator")
	if _, page := k.Page("/staff/notifications"); !strings.Contains(html.UnescapeString(page), `data-msg="service"`) || !strings.Contains(html.UnescapeString(page), want) {
		t.Error("the notifications page lacks the refused-push-service message")
	}
}
