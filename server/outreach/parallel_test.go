package outreach_test

import (
	"context"
	"testing"

	"github.com/gehoord/gehoord/server/outreach"
)

// TestSyncRepeatsInOneBatchKeepTheirOrder: reports of a batch are created
// in parallel, but one sent twice in a batch (a tablet that queued it
// twice) is created by its first copy and answered duplicate, with the
// same reference, for the later ones; a changed copy is a conflict.
func TestSyncRepeatsInOneBatchKeepTheirOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, err := e.devices.Create(ctx, "u1", "t")
	if err != nil {
		t.Fatal(err)
	}
	items := make([]map[string]any, 12)
	for i := range items {
		items[i] = report(i)
	}
	again := map[string]any{}
	for k, v := range items[2] {
		again[k] = v
	}
	changed := map[string]any{}
	for k, v := range items[5] {
		changed[k] = v
	}
	changed["description"] = "something else"
	items = append(items, again, changed, again)
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, items)})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results {
		if r.ID != items[i]["id"] {
			t.Fatalf("result %d is for %s, want %s", i, r.ID, items[i]["id"])
		}
		want := outreach.Created
		switch i {
		case 12, 14:
			want = outreach.Duplicate
		case 13:
			want = outreach.Rejected
		}
		if r.Result != want {
			t.Errorf("result %d: %s %+v, want %s", i, r.Result, r.Errors, want)
		}
	}
	if ref := resp.Results[2].Reference; ref == "" || resp.Results[12].Reference != ref || resp.Results[14].Reference != ref {
		t.Errorf("references of one report: %q, %q, %q", ref, resp.Results[12].Reference, resp.Results[14].Reference)
	}
}
