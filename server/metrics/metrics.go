// Package metrics keeps the desk's counters, gauges and histograms and
// writes them in the Prometheus text format (version 0.0.4), with no
// dependency beyond the standard library. Other packages register what
// they measure on Default (or a Registry of their own in tests):
//
//	var runs = metrics.NewCounter("gehoord_job_runs_total", "Background job runs.", "job", "result")
//	runs.With("retention", "ok").Inc()
//	metrics.GaugeFunc("gehoord_hashes_in_flight", "Receipt hashes running.", func() float64 { … })
//	metrics.CounterFunc("gehoord_hashes_shed_total", "Hashes refused as busy.", func() float64 { … })
//
// Label values must be a small, fixed set (a route group, a result, a job
// name): never a path, an id, an address or anything a person typed, so
// the metrics hold no personal data and their number stays bounded.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Default is the process's registry, served by the metrics address.
var Default = NewRegistry()

// Registry holds metric families by name.
type Registry struct {
	mu       sync.Mutex
	families map[string]family
}

type family interface {
	write(w io.Writer)
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]family{}} }

// register returns the family already registered under name (so a second
// server built in one process shares it), or stores the new one. A name
// registered as another type is a programming error.
func register[F family](r *Registry, name string, make func() F) F {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.families[name]; ok {
		got, ok := f.(F)
		if !ok {
			panic("metrics: " + name + " registered twice with different types")
		}
		return got
	}
	f := make()
	r.families[name] = f
	return f
}

// vec is the labelled children of one family.
type vec[T any] struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	children   map[string]*T
	keys       map[string][]string
	newChild   func() *T
}

func newVec[T any](name, help string, labels []string, newChild func() *T) *vec[T] {
	return &vec[T]{name: name, help: help, labels: labels, children: map[string]*T{}, keys: map[string][]string{}, newChild: newChild}
}

func (v *vec[T]) with(values []string) *T {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	k := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.children[k]
	if !ok {
		c = v.newChild()
		v.children[k] = c
		v.keys[k] = slices.Clone(values)
	}
	return c
}

// each visits the children in a stable order.
func (v *vec[T]) each(do func(labels string, c *T)) {
	v.mu.Lock()
	keys := make([]string, 0, len(v.children))
	for k := range v.children {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type kc struct {
		l string
		c *T
	}
	list := make([]kc, len(keys))
	for i, k := range keys {
		list[i] = kc{labelString(v.labels, v.keys[k]), v.children[k]}
	}
	v.mu.Unlock()
	for _, e := range list {
		do(e.l, e.c)
	}
}

func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + `="` + escape(values[i]) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func header(w io.Writer, name, help, kind string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help), name, kind)
}

func num(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// atomicFloat is a float64 updated without a lock.
type atomicFloat struct{ bits atomic.Uint64 }

func (a *atomicFloat) add(d float64) {
	for {
		old := a.bits.Load()
		if a.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}
func (a *atomicFloat) set(v float64) { a.bits.Store(math.Float64bits(v)) }
func (a *atomicFloat) load() float64 { return math.Float64frombits(a.bits.Load()) }

// Counter only goes up.
type Counter struct{ v atomicFloat }

// Inc adds one.
func (c *Counter) Inc() { c.v.add(1) }

// Add adds d (negative values are ignored: a counter never goes down).
func (c *Counter) Add(d float64) {
	if d > 0 {
		c.v.add(d)
	}
}

// CounterVec is a counter family with labels.
type CounterVec struct{ v *vec[Counter] }

func (c *CounterVec) write(w io.Writer) {
	header(w, c.v.name, c.v.help, "counter")
	c.v.each(func(l string, x *Counter) { fmt.Fprintf(w, "%s%s %s\n", c.v.name, l, num(x.v.load())) })
}

// With is the counter for these label values (in the order of the names).
func (c *CounterVec) With(values ...string) *Counter { return c.v.with(values) }

// NewCounter registers a counter on r.
func (r *Registry) NewCounter(name, help string, labels ...string) *CounterVec {
	return register(r, name, func() *CounterVec {
		return &CounterVec{newVec(name, help, labels, func() *Counter { return &Counter{} })}
	})
}

// Gauge goes up and down.
type Gauge struct{ v atomicFloat }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.v.set(v) }

// Add adds d (negative to subtract).
func (g *Gauge) Add(d float64) { g.v.add(d) }

// GaugeVec is a gauge family with labels.
type GaugeVec struct{ v *vec[Gauge] }

func (g *GaugeVec) write(w io.Writer) {
	header(w, g.v.name, g.v.help, "gauge")
	g.v.each(func(l string, x *Gauge) { fmt.Fprintf(w, "%s%s %s\n", g.v.name, l, num(x.v.load())) })
}

// With is the gauge for these label values.
func (g *GaugeVec) With(values ...string) *Gauge { return g.v.with(values) }

// NewGauge registers a gauge on r.
func (r *Registry) NewGauge(name, help string, labels ...string) *GaugeVec {
	return register(r, name, func() *GaugeVec {
		return &GaugeVec{newVec(name, help, labels, func() *Gauge { return &Gauge{} })}
	})
}

// gaugeFunc is read when scraped (a gauge, or a counter kept elsewhere).
type gaugeFunc struct {
	name, help, label string
	typ               string
	mu                sync.Mutex
	f                 func() map[string]float64
}

func (g *gaugeFunc) write(w io.Writer) {
	g.mu.Lock()
	f := g.f
	g.mu.Unlock()
	vals := f()
	header(w, g.name, g.help, g.typ)
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l := ""
		if g.label != "" {
			l = labelString([]string{g.label}, []string{k})
		}
		fmt.Fprintf(w, "%s%s %s\n", g.name, l, num(vals[k]))
	}
}

// GaugeFunc registers a gauge whose value f gives at each scrape (a
// queue's length, a gate's slots in use). Registering the name again
// replaces f: the newest server in a process is the one measured.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	r.GaugeFuncVec(name, help, "", func() map[string]float64 { return map[string]float64{"": f()} })
}

// GaugeFuncVec is GaugeFunc for a family with one label: f returns the
// value per label value (for example push jobs per state). f runs at each
// scrape, so it must be quick and bound its own waiting.
func (r *Registry) GaugeFuncVec(name, help, label string, f func() map[string]float64) {
	r.funcVec(name, help, label, "gauge", f)
}

// CounterFunc registers a counter kept elsewhere (a gate's count of work
// shed since start), read at each scrape; f must never go down.
func (r *Registry) CounterFunc(name, help string, f func() float64) {
	r.CounterFuncVec(name, help, "", func() map[string]float64 { return map[string]float64{"": f()} })
}

// CounterFuncVec is CounterFunc for a family with one label.
func (r *Registry) CounterFuncVec(name, help, label string, f func() map[string]float64) {
	r.funcVec(name, help, label, "counter", f)
}

func (r *Registry) funcVec(name, help, label, typ string, f func() map[string]float64) {
	g := register(r, name, func() *gaugeFunc { return &gaugeFunc{name: name, help: help, label: label, typ: typ} })
	if g.typ != typ {
		panic("metrics: " + name + " registered twice with different types")
	}
	g.mu.Lock()
	g.f = f
	g.mu.Unlock()
}

// Histogram counts observations into buckets.
type Histogram struct {
	upper  []float64
	counts []atomic.Uint64 // per bucket, not cumulative
	sum    atomicFloat
	count  atomic.Uint64
}

// Observe records one value (a latency in seconds, a size).
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.upper, v)
	h.counts[i].Add(1) // i == len(upper) is the +Inf bucket
	h.sum.add(v)
	h.count.Add(1)
}

// HistogramVec is a histogram family with labels.
type HistogramVec struct {
	v *vec[Histogram]
}

func (h *HistogramVec) write(w io.Writer) {
	header(w, h.v.name, h.v.help, "histogram")
	h.v.each(func(l string, x *Histogram) {
		base := strings.TrimSuffix(strings.TrimPrefix(l, "{"), "}")
		if base != "" {
			base += ","
		}
		var cum uint64
		for i := range x.counts {
			cum += x.counts[i].Load()
			le := math.Inf(1)
			if i < len(x.upper) {
				le = x.upper[i]
			}
			fmt.Fprintf(w, "%s_bucket{%sle=\"%s\"} %d\n", h.v.name, base, num(le), cum)
		}
		fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", h.v.name, l, num(x.sum.load()), h.v.name, l, x.count.Load())
	})
}

// With is the histogram for these label values.
func (h *HistogramVec) With(values ...string) *Histogram { return h.v.with(values) }

// LatencyBuckets suit request latencies in seconds.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewHistogram registers a histogram with the given bucket upper bounds.
func (r *Registry) NewHistogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	upper := slices.Clone(buckets)
	slices.Sort(upper)
	return register(r, name, func() *HistogramVec {
		return &HistogramVec{newVec(name, help, labels, func() *Histogram {
			return &Histogram{upper: upper, counts: make([]atomic.Uint64, len(upper)+1)}
		})}
	})
}

// WriteTo writes every family in the text format, sorted by name.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	slices.Sort(names)
	fams := make([]family, len(names))
	for i, n := range names {
		fams[i] = r.families[n]
	}
	r.mu.Unlock()
	cw := &countWriter{w: bufio.NewWriter(w)}
	for _, f := range fams {
		f.write(cw)
	}
	err := cw.w.(*bufio.Writer).Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Handler serves the registry at any path it is mounted on.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = r.WriteTo(w)
	})
}

// NewCounter registers a counter on Default.
func NewCounter(name, help string, labels ...string) *CounterVec {
	return Default.NewCounter(name, help, labels...)
}

// NewGauge registers a gauge on Default.
func NewGauge(name, help string, labels ...string) *GaugeVec {
	return Default.NewGauge(name, help, labels...)
}

// NewHistogram registers a histogram on Default.
func NewHistogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	return Default.NewHistogram(name, help, buckets, labels...)
}

// GaugeFunc registers a gauge read at each scrape on Default.
func GaugeFunc(name, help string, f func() float64) { Default.GaugeFunc(name, help, f) }

// GaugeFuncVec registers a labelled gauge read at each scrape on Default.
func GaugeFuncVec(name, help, label string, f func() map[string]float64) {
	Default.GaugeFuncVec(name, help, label, f)
}

// CounterFunc registers a counter read at each scrape on Default.
func CounterFunc(name, help string, f func() float64) { Default.CounterFunc(name, help, f) }

// CounterFuncVec registers a labelled counter read at each scrape on Default.
func CounterFuncVec(name, help, label string, f func() map[string]float64) {
	Default.CounterFuncVec(name, help, label, f)
}
