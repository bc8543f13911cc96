package metrics

import (
	"bytes"
	"strings"
	"testing"
)

// TestTextFormat: counters, gauges, gauge functions and histograms come
// out in the Prometheus text format, sorted, with cumulative buckets.
func TestTextFormat(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounter("t_requests_total", "Requests.", "group", "status")
	c.With("public", "2xx").Inc()
	c.With("public", "2xx").Add(2)
	c.With("staff", "5xx").Inc()
	c.With("staff", "5xx").Add(-5) // ignored
	if r.NewCounter("t_requests_total", "Requests.", "group", "status") != c {
		t.Fatal("registering a name again must give the same family")
	}
	g := r.NewGauge("t_in_flight", "In flight.")
	g.With().Add(3)
	g.With().Add(-1)
	r.GaugeFunc("t_queue", "Queue.", func() float64 { return 7 })
	r.GaugeFuncVec("t_jobs", "Jobs.", "state", func() map[string]float64 { return map[string]float64{"pending": 2, "done": 5} })
	r.CounterFuncVec("t_shed_total", "Shed.", "gate", func() map[string]float64 { return map[string]float64{"hashes": 4} })
	h := r.NewHistogram("t_seconds", "Latency.", []float64{0.1, 1}, "group")
	for _, v := range []float64{0.05, 0.5, 0.5, 3} {
		h.With("sync").Observe(v)
	}
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP t_in_flight In flight.
# TYPE t_in_flight gauge
t_in_flight 2
# HELP t_jobs Jobs.
# TYPE t_jobs gauge
t_jobs{state="done"} 5
t_jobs{state="pending"} 2
# HELP t_queue Queue.
# TYPE t_queue gauge
t_queue 7
# HELP t_requests_total Requests.
# TYPE t_requests_total counter
t_requests_total{group="public",status="2xx"} 3
t_requests_total{group="staff",status="5xx"} 1
# HELP t_seconds Latency.
# TYPE t_seconds histogram
t_seconds_bucket{group="sync",le="0.1"} 1
t_seconds_bucket{group="sync",le="1"} 3
t_seconds_bucket{group="sync",le="+Inf"} 4
t_seconds_sum{group="sync"} 4.05
t_seconds_count{group="sync"} 4
# HELP t_shed_total Shed.
# TYPE t_shed_total counter
t_shed_total{gate="hashes"} 4
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestGroupNeverEchoesThePath: whatever a client requests, the route
// group is one of a fixed set.
func TestGroupNeverEchoesThePath(t *testing.T) {
	cases := map[string]string{
		"/healthz": "health", "/api/v1/outreach/sync": "sync", "/api/v1/reports": "reports_api",
		"/api/v1/status": "status_api", "/staff/cases/abc": "staff", "/nl/report": "public_report",
		"/en/status/reply": "public_status", "/en/": "public", "/assets/app.css": "assets",
		"/anna@example.org/report": "public", "/x/../../etc/passwd": "public",
	}
	for path, want := range cases {
		if got := Group(path); got != want {
			t.Errorf("Group(%q) = %q, want %q", path, got, want)
		}
	}
	if strings.Contains(Group("/"+strings.Repeat("a", 100)), "a") {
		t.Fatal("a path became a label")
	}
}
