package appui_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestSealedSyncAPI: an enrolled tablet gets the desk's public key; a
// report sealed to it arrives through the sync; sealed by another tablet
// (bound to that device) it is refused with a text in the worker's
// language, and no case is made.
func TestSealedSyncAPI(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	devA, tokA, err := env.Deps.Devices.Create(ctx, "u1", "tablet A")
	if err != nil {
		t.Fatal(err)
	}
	_, tokB, err := env.Deps.Devices.Create(ctx, "u1", "tablet B")
	if err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/outreach/desk-key", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Fatalf("desk key without a token: %v %v", res, err)
	}
	req.Header.Set("Authorization", "Bearer "+tokA)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("desk key: %v %v", res, err)
	}
	var desk struct{ Kid, Key string }
	if err := json.NewDecoder(res.Body).Decode(&desk); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	pub, _ := base64.RawURLEncoding.DecodeString(desk.Key)

	rep := reports(1)[0]
	id := rep["id"].(string)
	plain, _ := json.Marshal(rep)
	epk, iv, ct, err := seal.SealToDesk(desk.Kid, pub, outreach.SealedAAD(desk.Kid, devA.ID, "report", id), plain)
	if err != nil {
		t.Fatal(err)
	}
	b := base64.RawURLEncoding.EncodeToString
	body, _ := json.Marshal(map[string]any{"language": "en", "sealed": []map[string]any{{
		"v": 1, "kid": desk.Kid, "kind": "report", "id": id, "epk": b(epk), "iv": b(iv), "ct": b(ct),
	}}})
	var out struct {
		Sealed []struct {
			ID, Result string
			Errors     []struct{ Field, Detail, Staff string }
		}
	}
	st, _, raw := post(t, env.URL+"/api/v1/outreach/sync", tokB, "application/json", body)
	if st != 200 || json.Unmarshal(raw, &out) != nil || len(out.Sealed) != 1 || out.Sealed[0].Result != "rejected" ||
		out.Sealed[0].Errors[0].Staff != "This item could not be opened at the desk (it was sealed on another tablet or damaged). Record it again." {
		t.Fatalf("tablet B sending A's sealed report: %d %s", st, raw)
	}
	if n := len(casesOnServer(t, env)); n != 0 {
		t.Fatalf("%d cases from another tablet's sealed report", n)
	}
	st, _, raw = post(t, env.URL+"/api/v1/outreach/sync", tokA, "application/json", body)
	if st != 200 || json.Unmarshal(raw, &out) != nil || out.Sealed[0].Result != "created" || out.Sealed[0].ID != id {
		t.Fatalf("tablet A: %d %s", st, raw)
	}
	cs := casesOnServer(t, env)[id]
	if len(cs) != 1 || cs[0].Device != devA.ID || env.Deps.Cases.Field(&cs[0], "description") != rep["description"] {
		t.Fatalf("case from the sealed report: %+v", cs)
	}
}
