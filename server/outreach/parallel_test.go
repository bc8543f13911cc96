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
	dev := e.device(t)
	items := reports(12)
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

// TestSyncStoresItsReportsInGroups: a full tablet's reports are stored
// together. One by one, each took six inserts (its number, receipt,
// case, first events and journal entry, and a write claim now and then);
// in groups, a hundred take a handful each group.
func TestSyncStoresItsReportsInGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev := e.device(t)
	items := reports(100)
	inserts := e.st.Commands()["insert"]
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, items)})
	if err != nil {
		t.Fatal(err)
	}
	inserts = e.st.Commands()["insert"] - inserts
	refs := map[string]bool{}
	for i, r := range resp.Results {
		if r.Result != outreach.Created || r.Reference == "" || refs[r.Reference] {
			t.Errorf("result %d: %+v", i, r)
		}
		refs[r.Reference] = true
	}
	if inserts > int64(len(items))/4 {
		t.Errorf("%d inserts for %d reports, want at most one for every four", inserts, len(items))
	}
}
