// Command loadgen drives a Gehoord server the way its visitors do — the home
// page, the intake form (GET, then POST with its per-visit token), the JSON
// API and status look-ups — at a chosen concurrency and rate, and reports
// throughput and latency percentiles.
//
// Figures from one machine mean little on their own, so every run also
// measures the two ceilings the server is judged against, in the same run:
// a bare Fiber handler with the same compression serving the very same bytes
// (for pages), and the receipt-hash bound, cores ÷ the time of one receipt
// hash (for everything that hashes a receipt). Beside the bound it shows
// what receipt hashes alone reach, one per core at once: the cores share
// memory, so that is less than the bound. Server and baseline run in turn,
// as separate processes, so they never compete for the cores.
//
// Only successful answers (below 400: 200, 201, 303) count as throughput
// and in the latencies: a 503 that sheds a request is quick and cheap, and
// counting it would make a server that refuses most of its load look fast.
// The answers column still shows every status, and "shed" the 503s.
//
//	make build && go run ./cmd/loadgen -c 32 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gehoord/gehoord/server/seal/hashbench"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-serve-baseline" {
		if err := serveBaseline(os.Args[2], os.Args[3], os.Args[4]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen baseline:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	bin       string
	target    string
	duration  time.Duration
	conc      int
	rate      float64
	rounds    int
	scenarios []string
}

func run() error {
	var o options
	var scen string
	flag.StringVar(&o.bin, "server", "./bin/gehoord", "the gehoord binary to start with a throw-away data folder (ignored with -target)")
	flag.StringVar(&o.target, "target", "", "base URL of a running server to drive instead (its rate limits apply)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each measurement runs")
	flag.IntVar(&o.conc, "c", 32, "concurrent clients")
	flag.Float64Var(&o.rate, "rate", 0, "requests per second across all clients (0: as fast as they can)")
	flag.IntVar(&o.rounds, "rounds", 2, "how often server and baseline alternate; the best round counts")
	flag.StringVar(&scen, "scenarios", "home,intake,form,api,status,statusform", "comma-separated: home, intake, form, api, status, statusform")
	flag.Parse()
	o.scenarios = strings.Split(scen, ",")

	base := o.target
	if base == "" {
		b, stop, err := startServer(o.bin)
		if err != nil {
			return err
		}
		defer stop()
		base = b
	}
	hash, hashCPU := hashbench.One()
	cores := runtime.NumCPU()
	bound := float64(cores) / hash.Seconds()
	alone := hashbench.AtOnce(cores, 3*time.Second)
	fmt.Printf("cores %d · one receipt hash %.1f ms (%.1f ms of CPU) · receipt-hash bound %.1f req/s\n", cores, ms(hash), ms(hashCPU), bound)
	fmt.Printf("receipt hashes alone, one per core at once: %.1f/s = %.0f%% of the bound (the cores share memory and cache)\n", alone, 100*alone/bound)
	fmt.Printf("alone: ok/s against those hashes alone, what a server that did nothing else could reach\n")
	fmt.Printf("srv cpu-ms/ok: the server's CPU time per successful answer (a started server only); on a shared machine\n" +
		"it says more than the wall clock: set it against the hash's CPU time\n\n")
	fmt.Printf("%-10s %9s %9s %9s %8s %8s %8s %8s %8s %13s  %s\n", "scenario", "ok/s", "shed/s", "ceiling", "ratio", "alone", "p50 ms", "p90 ms", "p99 ms", "srv cpu-ms/ok", "answers")
	for _, s := range o.scenarios {
		if err := measure(o, base, strings.TrimSpace(s), bound, alone); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// measure runs one scenario against the server and, for pages, against a
// bare Fiber process serving the same bytes, in turn, and prints the best
// round of each.
func measure(o options, base, name string, bound, alone float64) error {
	sc, ok := scenarios[name]
	if !ok {
		return errors.New("unknown scenario")
	}
	var best, bestBase result
	for range o.rounds {
		cpu0 := serverCPU()
		r, err := drive(o, base, sc.do)
		if err != nil {
			return err
		}
		if n := len(r.lat); n > 0 && cpu0 >= 0 {
			r.cpuPerOK = (serverCPU() - cpu0) / time.Duration(n)
		}
		if r.rps > best.rps {
			best = r
		}
		if sc.page == "" {
			continue
		}
		bb, err := baseline(o, base, sc.page)
		if err != nil {
			return err
		}
		if bb.rps > bestBase.rps {
			bestBase = bb
		}
	}
	ceiling, vsAlone := bound, fmt.Sprintf("%.0f%%", 100*best.rps/alone)
	if sc.page != "" {
		ceiling, vsAlone = bestBase.rps, "-"
	}
	fmt.Printf("%-10s %9.1f %9.1f %9.0f %7.0f%% %8s %8.1f %8.1f %8.1f %13.1f  %s\n", name, best.rps, best.shedps, ceiling, 100*best.rps/ceiling, vsAlone,
		ms(best.p(50)), ms(best.p(90)), ms(best.p(99)), ms(best.cpuPerOK), best.codes())
	return nil
}

type scenario struct {
	page string // the page a bare handler serves as the ceiling; "" uses the hash bound
	do   func(c *http.Client, base string) (int, error)
}

var scenarios = map[string]scenario{
	"home":       {page: "/en/", do: get("/en/")},
	"intake":     {page: "/nl/report", do: get("/nl/report")},
	"form":       {do: postForm},
	"api":        {do: postReport},
	"status":     {do: status},
	"statusform": {do: statusForm},
}

func get(path string) func(*http.Client, string) (int, error) {
	return func(c *http.Client, base string) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
}

var hiddenField = regexp.MustCompile(`name="(id|token)" value="([^"]*)"`)

// postForm is a visitor with JavaScript off: she opens the form, fills it
// in and sends it; the answer is a 303 to the page that shows her receipt.
func postForm(c *http.Client, base string) (int, error) {
	res, err := c.Get(base + "/nl/report")
	if err != nil {
		return 0, err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	v := url.Values{}
	for _, m := range hiddenField.FindAllSubmatch(page, -1) {
		v.Set(string(m[1]), string(m[2]))
	}
	v.Set("kind", "complaint")
	v.Set("category", "business.bank")
	v.Set("description", description())
	v.Set("wish", "handle")
	v.Set("identity_mode", "anonymous")
	v.Set("reporter", "self")
	v.Set("municipality", "unknown")
	res, err = c.PostForm(base+"/nl/report", v)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

var receipts = struct {
	sync.Mutex
	list []string
}{}

func postReport(c *http.Client, base string) (int, error) {
	body, _ := json.Marshal(map[string]any{
		"kind": "complaint", "category": "business.bank", "description": description(),
		"wish": "handle", "identity": map[string]string{"mode": "anonymous"}, "language": "nl",
		"municipality": "unknown",
	})
	res, err := c.Post(base+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct{ Receipt string }
	if res.StatusCode == http.StatusCreated && json.NewDecoder(res.Body).Decode(&out) == nil {
		receipts.Lock()
		if len(receipts.list) < 1000 {
			receipts.list = append(receipts.list, out.Receipt)
		}
		receipts.Unlock()
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// status looks up receipts that exist (made by the api scenario, or one made
// here first), as a complainant coming back does.
func status(c *http.Client, base string) (int, error) {
	r, code, err := knownReceipt(c, base)
	if r == "" {
		return code, err
	}
	body, _ := json.Marshal(map[string]string{"receipt": r})
	res, err := c.Post(base+"/api/v1/status", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// statusForm is status with JavaScript off: the form on /nl/status, whose
// answer is a 303 to the page that shows her case (not followed).
func statusForm(c *http.Client, base string) (int, error) {
	r, code, err := knownReceipt(c, base)
	if r == "" {
		return code, err
	}
	res, err := c.PostForm(base+"/nl/status", url.Values{"receipt": {r}})
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// knownReceipt is one of the receipts made so far, or, before any, a
// report made now (its answer returned when that fails).
func knownReceipt(c *http.Client, base string) (string, int, error) {
	receipts.Lock()
	n := len(receipts.list)
	var r string
	if n > 0 {
		r = receipts.list[int(seq.Add(1))%n]
	}
	receipts.Unlock()
	if r == "" {
		if code, err := postReport(c, base); err != nil || code != http.StatusCreated {
			return "", code, err
		}
		return knownReceipt(c, base)
	}
	return r, 0, nil
}

var seq atomic.Int64

// description is a realistic report: a few sentences, different each time
// so no cache or idempotency answers in the server's place.
func description() string {
	return fmt.Sprintf("De bank heeft mijn rekening opgezegd zonder reden te geven. "+
		"Ik werk zelfstandig en betaal mijn belasting. Ze zeggen dat het om mijn beroep gaat. "+
		"Ik heb drie keer gebeld en niemand kon mij zeggen wat ik nu moet doen. (%d-%d)", os.Getpid(), seq.Add(1))
}

type result struct {
	// rps counts successful answers (below 400) per second, shedps the
	// 503s; lat holds the latencies of the successful ones.
	rps    float64
	shedps float64
	lat    []time.Duration
	// cpuPerOK is the server process's CPU time per successful answer.
	cpuPerOK time.Duration
	count    map[int]int
	errs     int
}

func (r result) p(q int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[(len(r.lat)-1)*q/100]
}

func (r result) codes() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.count)) {
		parts = append(parts, fmt.Sprintf("%d×%d", r.count[k], k))
	}
	if r.errs > 0 {
		parts = append(parts, fmt.Sprintf("%d×error", r.errs))
	}
	return strings.Join(parts, " ")
}

// drive runs do from o.conc clients for o.duration, paced to o.rate when set.
func drive(o options, base string, do func(*http.Client, string) (int, error)) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: o.conc, MaxConnsPerHost: o.conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := func(i int) *http.Client {
		return &http.Client{Transport: visitor{tr, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)}, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var tick <-chan time.Time
	if o.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
		defer t.Stop()
		tick = t.C
	}
	var mu sync.Mutex
	res := result{count: map[int]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.conc {
		c := client(i)
		wg.Go(func() {
			var lat []time.Duration
			count := map[int]int{}
			errs := 0
			for ctx.Err() == nil {
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						continue
					}
				}
				t0 := time.Now()
				code, err := do(c, base)
				if err != nil {
					errs++
					continue
				}
				if code < 400 {
					lat = append(lat, time.Since(t0))
				}
				count[code]++
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			for k, v := range count {
				res.count[k] += v
			}
			res.errs += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(res.lat)
	took := time.Since(start).Seconds()
	res.rps = float64(len(res.lat)) / took
	res.shedps = float64(res.count[http.StatusServiceUnavailable]) / took
	return res, nil
}

// visitor makes each client its own visitor behind the reverse proxy the
// started server trusts (loopback): limits per address (status look-ups
// that miss, reports per address) count per visitor, as they would for
// people on their own phones, not for the one address of this program.
type visitor struct {
	rt   http.RoundTripper
	addr string
}

func (v visitor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", v.addr)
	return v.rt.RoundTrip(r)
}

// baseline fetches page from the server once and measures a bare Fiber
// process serving exactly those bytes, with the same compression.
func baseline(o options, base, page string) (result, error) {
	res, err := http.Get(base + page)
	if err != nil {
		return result{}, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	f, err := os.CreateTemp("", "loadgen-page-*")
	if err != nil {
		return result{}, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(body); err != nil {
		return result{}, err
	}
	f.Close()
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(self, "-serve-baseline", addr, f.Name(), res.Header.Get("Content-Type"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	if err := waitUp("http://" + addr + "/healthz"); err != nil {
		return result{}, err
	}
	return drive(o, "http://"+addr, get(page))
}

func serveBaseline(addr, file, contentType string) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(body)
	})
	return app.Listen(addr)
}

// startServer runs the real binary on a free loopback port with a fresh data
// folder and the report limits lifted (one address sends everything here).
func startServer(bin string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "loadgen-data-*")
	if err != nil {
		return "", nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "serve")
	// The loopback address is a trusted proxy, so each client is a visitor
	// of its own (see visitor); the report limits are lifted: one visitor
	// here sends hundreds, and the desk's hourly ceiling would stop the run.
	cmd.Env = append(os.Environ(), "GEHOORD_DATA_DIR="+dir, "GEHOORD_ADDR="+addr, "GEHOORD_LOG_LEVEL=error",
		"GEHOORD_TRUSTED_PROXIES=127.0.0.1",
		"GEHOORD_REPORTS_PER_ADDRESS=100000000", "GEHOORD_REPORTS_PER_HOUR=100000000")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start %s (make build first): %w", bin, err)
	}
	serverPID = cmd.Process.Pid
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	base := "http://" + addr
	if err := waitUp(base + "/healthz"); err != nil {
		stop()
		return "", nil, err
	}
	return base, stop, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitUp(u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within a minute", u)
}

// serverPID is the server this program started (0 with -target).
var serverPID int

// serverCPU is the CPU time the started server used so far (user and
// system, from /proc); -1 when there is none or it cannot be read.
func serverCPU() time.Duration {
	if serverPID == 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", serverPID))
	if err != nil {
		return -1
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is the first, utime and stime the 12th and 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	// Clock ticks: 100 a second on Linux (USER_HZ).
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
