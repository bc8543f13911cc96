package appui_test

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

type registered struct {
	ID          string `json:"id"`
	Token       string `json:"token"`
	RevokeToken string `json:"revoke_token"`
}

// registerTablet registers a tablet through the API as the app does.
func registerTablet(t *testing.T, env *servertest.Env, email, code string) registered {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": "correct horse battery staple", "code": code, "label": "Tablet"})
	st, _, body := post(t, env.URL+"/api/v1/outreach/devices", "", "application/json", b)
	if st != 201 {
		t.Fatalf("register: %d %s", st, body)
	}
	var r registered
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// syncOne sends one new report with the device token and returns the status.
func syncOne(t *testing.T, env *servertest.Env, token string) int {
	t.Helper()
	r := reports(1)
	r[0]["receipt"] = fmt.Sprintf("%016d", mrand.Int64N(1e16))
	batch, _ := json.Marshal(map[string]any{"reports": r})
	st, _, _ := post(t, env.URL+"/api/v1/outreach/sync", token, "application/json", batch)
	return st
}

func revokeCall(t *testing.T, env *servertest.Env, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, env.URL+"/api/v1/outreach/device", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestDisablingAUserRevokesHerTablets: an admin disables a staff member;
// at once her tablet's sync is refused (it made cases until then) and her
// push devices are gone.
func TestDisablingAUserRevokesHerTablets(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	user, codes := outreachUser(t, env, "outreach")
	tab := registerTablet(t, env, user.Email, codes[0])
	sub := pushtest.NewSubscriber(t)
	_, err := env.Deps.Push.Subscribe(ctx, user.ID, push.Input{
		Endpoint: "https://fcm.googleapis.com/fcm/send/lifecycle-" + user.ID,
		Keys:     push.KeysIn{P256dh: sub.P256dh(), Auth: sub.AuthSecret()}, Label: "her phone",
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := syncOne(t, env, tab.Token); st != 200 {
		t.Fatalf("sync before disabling: %d", st)
	}
	admin := stafftest.SignIn(t, env, "admin")
	if res := admin.PostForm("/staff/users/"+user.ID+"/disable", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	before := len(casesOnServer(t, env))
	if st := syncOne(t, env, tab.Token); st != 401 {
		t.Fatalf("the tablet of a disabled user still syncs: %d", st)
	}
	if n := len(casesOnServer(t, env)); n != before {
		t.Fatalf("the tablet of a disabled user made %d cases", n-before)
	}
	if d, err := env.Deps.Devices.Get(ctx, tab.ID); err != nil || !d.Revoked {
		t.Fatalf("her tablet is not marked revoked: %v %v", d.Revoked, err)
	}
	if devs, err := env.Deps.Push.Devices(ctx, user.ID); err != nil || len(devs) != 0 {
		t.Fatalf("her push devices after disabling: %d %v", len(devs), err)
	}
	// Enabling her again does not bring the tablet back: she signs in on it.
	if res := admin.PostForm("/staff/users/"+user.ID+"/enable", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	if st := syncOne(t, env, tab.Token); st != 401 {
		t.Fatalf("a revoked tablet syncs after its user is enabled again: %d", st)
	}
}

// setLastSeen moves a device's last use into the past.
func setLastSeen(t *testing.T, env *servertest.Env, id string, at time.Time) {
	t.Helper()
	ok, err := env.Deps.Store.Update(context.Background(), "outreach_devices", bson.M{"_id": id}, bson.M{"$set": bson.M{"last_seen": at}})
	if err != nil || !ok {
		t.Fatalf("set last seen: %v %v", ok, err)
	}
}

// TestIdleDeviceTokenExpires: a token unused for longer than
// GEHOORD_DEVICE_IDLE_DAYS is refused like a revoked one; a token in use
// keeps working.
func TestIdleDeviceTokenExpires(t *testing.T) {
	env := servertest.StartWith(t, servertest.Options{Env: map[string]string{"GEHOORD_DEVICE_IDLE_DAYS": "2"}})
	ctx := context.Background()
	idle, idleToken, err := env.Deps.Devices.Create(ctx, "u1", "drawer tablet")
	if err != nil {
		t.Fatal(err)
	}
	used, usedToken, err := env.Deps.Devices.Create(ctx, "u1", "daily tablet")
	if err != nil {
		t.Fatal(err)
	}
	setLastSeen(t, env, idle.ID, time.Now().Add(-49*time.Hour))
	setLastSeen(t, env, used.ID, time.Now().Add(-47*time.Hour))
	if st := syncOne(t, env, idleToken); st != 401 {
		t.Fatalf("a token unused for 49 hours (limit 2 days): %d", st)
	}
	if st := syncOne(t, env, usedToken); st != 200 {
		t.Fatalf("a token used 47 hours ago (limit 2 days): %d", st)
	}
	// Using it moved its last use to now.
	setLastSeen(t, env, used.ID, time.Now().Add(-47*time.Hour))
	if st := syncOne(t, env, usedToken); st != 200 {
		t.Fatalf("second sync: %d", st)
	}
}

// TestTabletRevokesItself: "erase everything" on the tablet withdraws its
// registration: with the device token, or with the revoke-only token the
// app keeps outside its vault (usable when the passphrase is forgotten).
func TestTabletRevokesItself(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	user, codes := outreachUser(t, env, "outreach")
	a := registerTablet(t, env, user.Email, codes[0])
	if a.RevokeToken == "" || a.RevokeToken == a.Token {
		t.Fatalf("registration gives no separate revoke token: %+v", a)
	}
	// The revoke token is not a device token.
	if st := syncOne(t, env, a.RevokeToken); st != 401 {
		t.Fatalf("sync with the revoke token: %d", st)
	}
	if st := revokeCall(t, env, ""); st != 401 {
		t.Fatalf("revoke without a token: %d", st)
	}
	if st := revokeCall(t, env, "ghr_nonsense"); st != 401 {
		t.Fatalf("revoke with a made-up token: %d", st)
	}
	if st := revokeCall(t, env, a.RevokeToken); st != 204 {
		t.Fatalf("revoke with the revoke token: %d", st)
	}
	if st := syncOne(t, env, a.Token); st != 401 {
		t.Fatalf("sync after revoking itself: %d", st)
	}
	if d, _ := env.Deps.Devices.Get(ctx, a.ID); !d.Revoked {
		t.Fatal("not marked revoked")
	}
	if st := revokeCall(t, env, a.RevokeToken); st != 204 {
		t.Fatalf("revoking again: %d", st)
	}
	// With the device token itself (the app is unlocked).
	b := registerTablet(t, env, user.Email, codes[1])
	if st := revokeCall(t, env, b.Token); st != 204 {
		t.Fatalf("revoke with the device token: %d", st)
	}
	if st := syncOne(t, env, b.Token); st != 401 {
		t.Fatalf("sync after revoking with the device token: %d", st)
	}
}
