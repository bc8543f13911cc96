package cli

import (
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/metrics"
)

// registerGates publishes the named work gates' state at each scrape,
// labelled by gate name (a fixed set: "public", "signin", "hashes"):
// gehoord_gate_slots, gehoord_gate_in_flight and gehoord_gate_waiting
// (gauges), gehoord_gate_shed_total and gehoord_gate_gone_total
// (counters). Each function reads one gate's state without waiting.
func registerGates(r *metrics.Registry, gates map[string]func() gate.Stats) {
	read := func(pick func(gate.Stats) float64) func() map[string]float64 {
		return func() map[string]float64 {
			out := make(map[string]float64, len(gates))
			for name, stats := range gates {
				out[name] = pick(stats())
			}
			return out
		}
	}
	r.GaugeFuncVec("gehoord_gate_slots", "Work that may run at once, by gate.", "gate",
		read(func(s gate.Stats) float64 { return float64(s.Size) }))
	r.GaugeFuncVec("gehoord_gate_in_flight", "Work running now, by gate.", "gate",
		read(func(s gate.Stats) float64 { return float64(s.InFlight) }))
	r.GaugeFuncVec("gehoord_gate_waiting", "Work waiting for a slot now, by gate.", "gate",
		read(func(s gate.Stats) float64 { return float64(s.Waiting) }))
	r.CounterFuncVec("gehoord_gate_shed_total", "Work refused as busy (503) since start, by gate.", "gate",
		read(func(s gate.Stats) float64 { return float64(s.Shed) }))
	r.CounterFuncVec("gehoord_gate_gone_total", "Work dropped because its client had gone, since start, by gate.", "gate",
		read(func(s gate.Stats) float64 { return float64(s.Gone) }))
}
