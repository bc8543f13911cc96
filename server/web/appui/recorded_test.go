package appui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// Staff see on a case which outreach round and which tablet recorded it
// (a round not synced yet says so); her status page names neither.
func TestCaseShowsRoundAndDevice(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	worker := stafftest.NewUser(t, env, "outreach")
	_, token, err := env.Deps.Devices.Create(ctx, worker.ID, "Tablet Zuid 3")
	if err != nil {
		t.Fatal(err)
	}
	round := map[string]any{"id": uuid.NewString(), "date": "2026-11-30", "setting": "window", "municipality": "GM0344", "place": "Zandpad"}
	items := reports(2)
	items[0]["round"] = round["id"]
	items[1]["round"] = uuid.NewString() // its round comes with a later sync
	batch, _ := json.Marshal(map[string]any{"reports": items, "rounds": []any{round}})
	st, _, body := post(t, env.URL+"/api/v1/outreach/sync", token, "application/json", batch)
	var res syncResp
	if err := json.Unmarshal(body, &res); st != 200 || err != nil || len(res.Results) != 2 || res.Results[0].Result != "created" || res.Results[1].Result != "created" {
		t.Fatalf("sync: %d %s", st, body)
	}
	all := casesOnServer(t, env)
	co := stafftest.SignIn(t, env, "coordinator")
	line := func(clientID string) (string, string) {
		cs := all[clientID]
		if len(cs) != 1 {
			t.Fatalf("cases for %s: %d", clientID, len(cs))
		}
		status, page := co.Page("/staff/cases/" + cs[0].ID)
		if status != 200 {
			t.Fatalf("case page: %d", status)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(d.Find("#case-round").Text()), strings.TrimSpace(d.Find("#case-device").Text())
	}
	r, dev := line(items[0]["id"].(string))
	for _, want := range []string{"2026-11-30", "Utrecht", "Zandpad", "Window"} {
		if !strings.Contains(r, want) {
			t.Errorf("round line %q lacks %q", r, want)
		}
	}
	if !strings.Contains(dev, "Tablet Zuid 3") || !strings.Contains(dev, worker.Name) {
		t.Errorf("device line %q lacks the tablet's label and its worker", dev)
	}
	if r, _ := line(items[1]["id"].(string)); !strings.Contains(r, "Not received yet") {
		t.Errorf("a round not synced yet shows %q", r)
	}
	// Her side: the status page and the API name neither round nor tablet.
	receipt := items[0]["receipt"].(string)
	res2, err := http.PostForm(env.URL+"/en/status", url.Values{"receipt": {receipt}}) // follows to her page
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	api := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": receipt})
	if res2.StatusCode != 200 || !strings.Contains(string(page), "thread") || api.StatusCode != 200 {
		t.Fatalf("her status: page %d, API %d", res2.StatusCode, api.StatusCode)
	}
	for _, b := range []string{string(page), string(api.Body)} {
		for _, secret := range []string{"Zandpad", "Tablet Zuid", worker.Name, round["id"].(string)} {
			if strings.Contains(b, secret) {
				t.Errorf("her status shows %q", secret)
			}
		}
	}
}
