package outreach_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/outreach"
)

// A device brings its own receipt (made offline, handed over on the spot).
// One that already opens another case is answered exactly like a fresh
// one — created — so a tablet's token cannot be used to find out which
// receipts exist. Her report still arrives, under a receipt of the
// desk's; the desk sees on the timeline that the tablet's receipt does not
// open it, and the receipt keeps opening only the case it opened before.
func TestSyncReceiptOfAnotherCaseRevealsNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev := e.device(t)
	first, second, fresh := report(1), report(2), report(3)
	second["receipt"] = first["receipt"]
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, []map[string]any{first})})
	if err != nil || resp.Results[0].Result != outreach.Created {
		t.Fatalf("first: %v %+v", err, resp)
	}
	resp, err = e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, []map[string]any{second, fresh})})
	if err != nil {
		t.Fatal(err)
	}
	clash, ok := resp.Results[0], resp.Results[1]
	if clash.Result != ok.Result || len(clash.Errors) != len(ok.Errors) || clash.Result != outreach.Created {
		t.Fatalf("a receipt that opens another case is answered %+v, a fresh one %+v", clash, ok)
	}
	opened, err := e.cases.ByReceipt(ctx, first["receipt"].(string))
	if err != nil || opened.ID != mustCaseID(t, e, first["id"].(string)) {
		t.Fatalf("the receipt no longer opens its own case: %v", err)
	}
	secondID := mustCaseID(t, e, second["id"].(string))
	n, err := e.st.C("case_events").CountDocuments(ctx, bson.M{"case_id": secondID, "type": "receipt_replaced"})
	if err != nil || n != 1 {
		t.Fatalf("the desk is not told that the tablet's receipt does not open the case: %d %v", n, err)
	}
	// A repeat of the same item is a duplicate, as always.
	resp, err = e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, []map[string]any{second})})
	if err != nil || resp.Results[0].Result != outreach.Duplicate || resp.Results[0].Reference != clash.Reference {
		t.Fatalf("repeat: %v %+v", err, resp)
	}
}

// Receipts a person or a broken generator would make are refused, with the
// reason in the item's language; a random one goes through.
func TestSyncRefusesWeakReceipts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, _ := e.devices.Create(ctx, "u1", "t")
	weak := []string{"0000000000000000", "1111111111111111", "0123456789012345", "9876543210987654",
		"1234123412341234", "1122334455667788", "0000000012345678", "1212121212121212", "2468024680246802"}
	var items []map[string]any
	for i, r := range weak {
		it := report(i)
		it["receipt"] = r
		it["language"] = "nl"
		items = append(items, it)
	}
	good := report(99)
	items = append(items, good)
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, items)})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results[:len(weak)] {
		if r.Result != outreach.Rejected || len(r.Errors) != 1 || r.Errors[0].Field != "receipt" {
			t.Errorf("weak receipt %s: %+v", weak[i], r)
			continue
		}
		if d := r.Errors[0].Detail; d == "" || strings.HasPrefix(d, "error.") {
			t.Errorf("weak receipt %s: untranslated %q", weak[i], d)
		}
	}
	if r := resp.Results[len(weak)]; r.Result != outreach.Created {
		t.Fatalf("a random receipt: %+v", r)
	}
}
