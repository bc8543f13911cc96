package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestTwoInstancesServeTheSameData: two servers with the same database and
// key material — a case made through one is opened through the other, and
// references never collide.
func TestTwoInstancesServeTheSameData(t *testing.T) {
	db, key := storetest.DBName(), servertest.NewKey()
	a := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	b := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	body := map[string]any{"kind": "question", "description": "Mag de verhuurder sleutelgeld vragen?", "wish": "advice",
		"identity": map[string]string{"mode": "anonymous"}, "language": "nl"}
	r := a.PostJSON(t, "/api/v1/reports", body)
	var c struct{ Receipt, Reference string }
	r.JSON(t, &c)
	r = b.PostJSON(t, "/api/v1/status", map[string]string{"receipt": c.Receipt})
	if r.StatusCode != 200 {
		t.Fatalf("instance b cannot open a case made through a: %d %s", r.StatusCode, r.Body)
	}
	// Both take reports at once: every reference is unique.
	refs := make(chan string, 20)
	for i := range 20 {
		env := a
		if i%2 == 1 {
			env = b
		}
		go func() {
			var c struct{ Reference string }
			r, err := env.SendJSON("/api/v1/reports", body)
			if err == nil {
				err = json.Unmarshal(r.Body, &c)
			}
			if err != nil {
				t.Error(err)
			}
			refs <- c.Reference
		}()
	}
	seen := map[string]bool{c.Reference: true}
	for range 20 {
		ref := <-refs
		if seen[ref] || ref == "" {
			t.Fatalf("reference %q given twice", ref)
		}
		seen[ref] = true
	}
}

// TestHealthz answers 200 while the database answers and 503 when not.
func TestHealthz(t *testing.T) {
	env := servertest.Start(t)
	r := env.Get(t, "/healthz")
	if r.StatusCode != 200 || string(r.Body) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", r.StatusCode, r.Body)
	}
	// Cut the server off from its database.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = env.Deps.Store.Client.Disconnect(ctx)
	r = env.Get(t, "/healthz")
	if r.StatusCode != 503 {
		t.Fatalf("healthz without database: %d %s", r.StatusCode, r.Body)
	}
}

// TestClientKeyBehindProxy: only a trusted proxy's last X-Forwarded-For
// entry counts; what a client prepends changes nothing.
func TestClientKeyBehindProxy(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{Env: map[string]string{"GEHOORD_TRUSTED_PROXIES": "127.0.0.1"}})
	// Ten misses from one client, each with a different forged prefix.
	for i := range 10 {
		env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": "0000000000000000"},
			"X-Forwarded-For", "10.9.9."+string(rune('0'+i))+", 203.0.113.7")
	}
	r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": "0000000000000000"}, "X-Forwarded-For", "203.0.113.7")
	if r.StatusCode != 429 {
		t.Fatalf("forged prefixes escaped the limit: %d", r.StatusCode)
	}
	r = env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": "0000000000000000"}, "X-Forwarded-For", "203.0.113.8")
	if r.StatusCode != 404 {
		t.Fatalf("another client behind the proxy was limited too: %d", r.StatusCode)
	}
}
