package push_test

import (
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/metrics/metricstest"
	"github.com/gehoord/gehoord/server/push"
)

// Each delivery attempt is counted by result and reason: one device's push
// service is busy once and then takes it (retried, sent), the other's
// subscription is gone (failed).
func TestDeliveriesCounted(t *testing.T) {
	e := newEnv(t)
	p := e.service(t, func(c *push.Config) { c.Backoff = func(int) time.Duration { return 0 } })
	busy := subscribe(t, p, "coord")
	busy.Script(503, 201)
	gone := subscribe(t, p, "coord")
	gone.Script(410)
	samples := []string{
		`gehoord_push_deliveries_total{result="sent",reason=""}`,
		`gehoord_push_deliveries_total{result="retried",reason="push service busy"}`,
		`gehoord_push_deliveries_total{result="failed",reason="subscription gone"}`,
	}
	before := make([]float64, len(samples))
	for i, s := range samples {
		before[i] = metricstest.Value(t, metrics.Default, s)
	}
	if err := p.CaseCreated(ctx, "case-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	for i, s := range samples {
		if got := metricstest.Value(t, metrics.Default, s) - before[i]; got != 1 {
			t.Errorf("%s: counted %v, want 1", s, got)
		}
	}
}
