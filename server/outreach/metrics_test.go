package outreach_test

import (
	"context"
	"testing"

	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/metrics/metricstest"
	"github.com/gehoord/gehoord/server/outreach"
)

// Each synced item is counted by its result on the metrics: a batch of
// three (two good, one bad) counts two created and one rejected; the same
// batch again two duplicates and one rejected.
func TestSyncCountsItemResults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev := e.device(t)
	value := func(result string) float64 {
		return metricstest.Value(t, metrics.Default, `gehoord_sync_items_total{result="`+result+`"}`)
	}
	before := map[string]float64{}
	for _, r := range []string{outreach.Created, outreach.Duplicate, outreach.Rejected} {
		before[r] = value(r)
	}
	items := []map[string]any{report(0), report(1), report(2)}
	items[1]["category"] = "no.such.category"
	req := outreach.SyncRequest{Reports: raws(t, items)}
	for range 2 {
		if _, err := e.sync.Sync(ctx, dev, req); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{outreach.Created: 2, outreach.Duplicate: 2, outreach.Rejected: 2}
	for r, n := range want {
		if got := value(r) - before[r]; got != n {
			t.Errorf("%s: counted %v, want %v", r, got, n)
		}
	}
}
