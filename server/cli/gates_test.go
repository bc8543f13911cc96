package cli

import (
	"github.com/gehoord/gehoord/server/gate"
	"testing"

	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/metrics/metricstest"
)

// Each gate's state is read at the scrape, under its name.
func TestGateMetrics(t *testing.T) {
	r := metrics.NewRegistry()
	public := gate.Stats{Size: 48, InFlight: 3, Waiting: 2, Shed: 7, Gone: 1}
	registerGates(r, map[string]func() gate.Stats{
		"public": func() gate.Stats { return public },
		"signin": func() gate.Stats { return gate.Stats{Size: 16} },
	})
	public.InFlight, public.Shed = 5, 9 // read at the scrape, not at registration
	for sample, want := range map[string]float64{
		`gehoord_gate_slots{gate="public"}`:      48,
		`gehoord_gate_in_flight{gate="public"}`:  5,
		`gehoord_gate_waiting{gate="public"}`:    2,
		`gehoord_gate_shed_total{gate="public"}`: 9,
		`gehoord_gate_gone_total{gate="public"}`: 1,
		`gehoord_gate_slots{gate="signin"}`:      16,
		`gehoord_gate_shed_total{gate="signin"}`: 0,
	} {
		if got := metricstest.Value(t, r, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
}
