package pushui_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func getJSON(t *testing.T, u string, v any) *http.Response {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res
}

// Two instances on one database give browsers the same key.
func TestKeySharedByInstances(t *testing.T) {
	db, key := storetest.DBName(), servertest.NewKey()
	a := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	b := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	var ka, kb struct {
		PublicKey string `json:"public_key"`
	}
	res := getJSON(t, a.URL+"/api/v1/push/key", &ka)
	getJSON(t, b.URL+"/api/v1/push/key", &kb)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if ka.PublicKey == "" || len(ka.PublicKey) != 87 || ka.PublicKey != kb.PublicKey {
		t.Errorf("keys %q and %q", ka.PublicKey, kb.PublicKey)
	}
}

func TestServiceWorkerAndManifest(t *testing.T) {
	env := servertest.Start(t)
	res, err := http.Get(env.URL + "/staff/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("sw.js: %d %q %q", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
	}
	for _, w := range []string{"Nieuwe activiteit", "New activity", "'push'", "notificationclick", "/staff/cases/"} {
		if !strings.Contains(string(body), w) {
			t.Errorf("sw.js lacks %q", w)
		}
	}
	var m map[string]any
	getJSON(t, env.URL+"/staff/manifest.webmanifest", &m)
	if m["scope"] != "/staff/" || m["display"] != "standalone" {
		t.Errorf("manifest %v", m)
	}
}

// csrf reads the session's token from the notifications page itself, so
// these tests depend on no other staff page.
func csrf(t *testing.T, c *stafftest.Client) string {
	t.Helper()
	_, body := c.Page("/staff/notifications")
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	token := d.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	if token == "" {
		t.Fatal("no CSRF token on /staff/notifications")
	}
	return token
}

func send(t *testing.T, c *stafftest.Client, method, path string, body any) *http.Response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(t.Context(), method, c.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf(t, c))
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func form(t *testing.T, c *stafftest.Client, path string, v url.Values) *http.Response {
	t.Helper()
	if v == nil {
		v = url.Values{}
	}
	v.Set("_csrf", csrf(t, c))
	return c.PostForm(path, v)
}

func subscriptionBody(t *testing.T, s *pushtest.Subscriber, label string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	if label != "" {
		m["label"] = label
	}
	return m
}

// A coordinator subscribes through the API; a report made through the
// public API reaches the device, decrypted: a type and an id, no content.
func TestSubscribeAndNewCaseArrives(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{PushToLoopback: true})
	if err := env.Deps.Push.SetHTTPClient(pushtest.Client()); err != nil {
		t.Fatal(err)
	}
	c := stafftest.SignIn(t, env, "coordinator")
	sub := pushtest.NewSubscriber(t)
	sub.WantKey, _ = env.Deps.Push.PublicKey(t.Context())

	// Without a session: 401.
	anon, _ := http.Post(env.URL+"/api/v1/push/subscriptions", "application/json", strings.NewReader(string(sub.JSON())))
	if anon.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a session: %d", anon.StatusCode)
	}
	res := send(t, c, "POST", "/api/v1/push/subscriptions", subscriptionBody(t, sub, "Werktelefoon"))
	if body := stafftest.ReadBody(res); res.StatusCode != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", res.StatusCode, body)
	}
	// Bad subscriptions: 422 with the field; not JSON: 400.
	bad := subscriptionBody(t, sub, "")
	bad["keys"] = map[string]string{"p256dh": "AAAA", "auth": "AAAA"}
	res = send(t, c, "POST", "/api/v1/push/subscriptions", bad)
	if body := stafftest.ReadBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "keys.p256dh") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("bad keys: %d %s", res.StatusCode, body)
	}
	res = send(t, c, "POST", "/api/v1/push/subscriptions", "not an object")
	if stafftest.ReadBody(res); res.StatusCode != http.StatusBadRequest {
		t.Errorf("not an object: %d", res.StatusCode)
	}

	report := `{"kind":"complaint","category":"business.bank","description":"De bank ING zegt mijn rekening op omdat ik sekswerker ben","wish":"handle","identity":{"mode":"work_name","name":"Roxy"},"language":"nl"}`
	rr, err := http.Post(env.URL+"/api/v1/reports", "application/json", strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ Receipt, Reference string }
	_ = json.NewDecoder(rr.Body).Decode(&made)
	rr.Body.Close()
	if rr.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d", rr.StatusCode)
	}
	got := sub.WaitDelivered(1, 15*time.Second)
	settle(t, env)
	for _, err := range sub.Errors() {
		t.Errorf("push service rejected: %v", err)
	}
	if len(got) != 1 || len(sub.Requests()) != 1 {
		t.Fatalf("delivered %d of %d", len(got), len(sub.Requests()))
	}
	var p push.Payload
	if err := json.Unmarshal(got[0].Payload, &p); err != nil || p.Type != "case.new" || p.ID == "" {
		t.Errorf("payload %s: %v", got[0].Payload, err)
	}
	low := strings.ToLower(string(got[0].Payload))
	for _, w := range []string{"bank", "ing", "rekening", "sekswerker", "roxy", made.Receipt, strings.ToLower(made.Reference)} {
		if w != "" && strings.Contains(low, strings.ToLower(w)) {
			t.Errorf("payload %s contains %q", got[0].Payload, w)
		}
	}
	if got[0].Claims.Sub != "mailto:desk@gehoord.example" || got[0].Urgency != "high" || got[0].TTL != 86400 {
		t.Errorf("sub %q urgency %q ttl %d", got[0].Claims.Sub, got[0].Urgency, got[0].TTL)
	}

	// The page lists the device; the preference is saved.
	status, page := c.Page("/staff/notifications")
	if status != 200 || !strings.Contains(page, "Werktelefoon") || checked(t, page) != "all" {
		t.Errorf("page %d lacks the device or the default preference", status)
	}
	res = form(t, c, "/staff/notifications/preference", url.Values{"preference": {"off"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("preference: %d", res.StatusCode)
	}
	if _, page = c.Page("/staff/notifications"); checked(t, page) != "off" {
		t.Error("preference not saved")
	}

	// DELETE with the same JSON removes it; again: 404.
	res = send(t, c, "DELETE", "/api/v1/push/subscriptions", subscriptionBody(t, sub, ""))
	if stafftest.ReadBody(res); res.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", res.StatusCode)
	}
	res = send(t, c, "DELETE", "/api/v1/push/subscriptions", subscriptionBody(t, sub, ""))
	if stafftest.ReadBody(res); res.StatusCode != http.StatusNotFound {
		t.Errorf("delete again: %d", res.StatusCode)
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), c.User.ID); len(devs) != 0 {
		t.Errorf("devices left: %v", devs)
	}
}

// A device is removed from the page (no JavaScript needed), and only by
// its owner.
func TestRemoveDeviceFromPage(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{PushToLoopback: true})
	a := stafftest.SignIn(t, env, "handler")
	b := stafftest.SignIn(t, env, "handler")
	sub := pushtest.NewSubscriber(t)
	if res := send(t, a, "POST", "/api/v1/push/subscriptions", subscriptionBody(t, sub, "")); res.StatusCode != 201 {
		t.Fatalf("subscribe: %d", res.StatusCode)
	}
	devs, _ := env.Deps.Push.Devices(t.Context(), a.User.ID)
	if len(devs) != 1 {
		t.Fatal("no device")
	}
	if res := form(t, b, "/staff/notifications/devices/"+devs[0].ID+"/remove", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user removed it: %d", res.StatusCode)
	}
	if res := a.PostFormNoCSRF("/staff/notifications/devices/"+devs[0].ID+"/remove", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.StatusCode)
	}
	if res := form(t, a, "/staff/notifications/devices/"+devs[0].ID+"/remove", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", res.StatusCode)
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), a.User.ID); len(devs) != 0 {
		t.Error("device still there")
	}
}

// TestSignOutEverywhereRemovesDevices: signing out everywhere, or being
// disabled by an admin, removes every push device of that person.
func TestSignOutEverywhereRemovesDevices(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{PushToLoopback: true})
	a := stafftest.SignIn(t, env, "handler")
	b := stafftest.SignIn(t, env, "handler")
	admin := stafftest.SignIn(t, env, "admin")
	for _, c := range []*stafftest.Client{a, b} {
		if res := send(t, c, "POST", "/api/v1/push/subscriptions", subscriptionBody(t, pushtest.NewSubscriber(t), "")); res.StatusCode != 201 {
			t.Fatalf("subscribe: %d", res.StatusCode)
		}
	}
	if res := form(t, a, "/staff/signout/all", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", res.StatusCode)
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), a.User.ID); len(devs) != 0 {
		t.Errorf("%d devices left after signing out everywhere", len(devs))
	}
	if res := form(t, admin, "/staff/users/"+b.User.ID+"/disable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if devs, _ := env.Deps.Push.Devices(t.Context(), b.User.ID); len(devs) != 0 {
		t.Errorf("%d devices left after being disabled", len(devs))
	}
}

// settle waits until the server's push queue holds no job pending or
// being sent, stops its sender (Stop waits for a send in flight) and
// works the queue once more by hand, so a second delivery has reached the
// subscriber by now instead of "within a while".
func settle(t *testing.T, env *servertest.Env) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		n, err := env.Deps.Store.C("push_jobs").CountDocuments(t.Context(), bson.M{"state": bson.M{"$in": bson.A{"pending", "sending"}}})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d push jobs still pending or sending", n)
		}
		time.Sleep(20 * time.Millisecond) // poll the queue
	}
	env.Deps.Push.Stop()
	if n, err := env.Deps.Push.SendPending(t.Context()); err != nil || n != 0 {
		t.Errorf("the sender took %d more jobs (%v) from a worked-off queue", n, err)
	}
}

// checked is the value of the one preference radio that is checked ("" if
// none is, or more than one).
func checked(t *testing.T, page string) string {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	on := d.Find(`input[type="radio"][name="preference"][checked]`)
	if on.Length() != 1 {
		return ""
	}
	return on.AttrOr("value", "")
}
