package outreach_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/outreach"
)

// TestBadItemNeverBlocksASync: a card count sent as a string ("5") and a
// round with a numeric id made the whole batch unreadable (400), and the
// valid reports beside them were not stored. Each such item is now
// rejected on its own, naming the field, and the rest is stored.
func TestBadItemNeverBlocksASync(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, _ := e.devices.Create(ctx, "u1", "t")
	day := time.Now().Format("2006-01-02")
	round, card := uuid.NewString(), uuid.NewString()
	rep1, rep2, rep3 := report(1), report(2), report(3)
	rep3["description"] = 42 // a report of the wrong shape, alone
	body := fmt.Sprintf(`{
		"rounds": [
			{"id": 42, "date": %[1]q, "setting": "window", "municipality": "Utrecht", "language": "en"},
			{"id": %[2]q, "date": %[1]q, "setting": "window", "municipality": "Utrecht", "language": "en"}
		],
		"cards": [
			{"id": %[3]q, "round": %[2]q, "batch": "A-7", "date": %[1]q, "count": "5", "language": "en"},
			{"id": %[4]q, "round": %[2]q, "batch": "A-7", "date": %[1]q, "count": 4, "language": "en"}
		],
		"reports": [%[5]s, %[6]s, %[7]s]
	}`, day, round, card, uuid.NewString(), mustJSON(t, rep1), mustJSON(t, rep2), mustJSON(t, rep3))

	var req outreach.SyncRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("the batch is refused whole: %v", err)
	}
	resp, err := e.sync.Sync(ctx, dev, req)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Rounds[0]; r.Result != outreach.Rejected || len(r.Errors) != 1 || r.Errors[0].Field != "id" || r.ID != "42" {
		t.Errorf("round with a numeric id: %+v, want rejected naming id", r)
	}
	if r := resp.Rounds[1]; r.Result != outreach.Created {
		t.Errorf("the valid round: %+v", r)
	}
	if r := resp.Cards[0]; r.Result != outreach.Rejected || len(r.Errors) != 1 || r.Errors[0].Field != "count" || r.ID != card {
		t.Errorf(`card count "5": %+v, want rejected naming count`, r)
	}
	if r := resp.Cards[1]; r.Result != outreach.Created || e.cards.n["A-7"] != 4 {
		t.Errorf("the valid card count: %+v, counted %v", r, e.cards.n)
	}
	for i, r := range resp.Results[:2] {
		if r.Result != outreach.Created || r.Reference == "" {
			t.Errorf("valid report %d beside the bad items: %+v", i+1, r)
		}
	}
	if r := resp.Results[2]; r.Result != outreach.Rejected || len(r.Errors) != 1 || r.Errors[0].Field != "description" {
		t.Errorf("report with a numeric description: %+v, want rejected naming description", r)
	}
	for _, r := range append(append(resp.Rounds, resp.Cards...), resp.Results...) {
		for _, fe := range r.Errors {
			if fe.Detail == "" || fe.Detail == "app.error.type" {
				t.Errorf("untranslated error %+v", fe)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
