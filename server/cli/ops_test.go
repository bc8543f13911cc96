package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/config"
)

// served is a real `gehoord serve` (cli.Serve) on its own data folder,
// with the embedded database, as an operator runs it.
type served struct {
	URL  string
	stop func()
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// opsEnv is the environment of an operator's shell for dataDir; extra
// entries override it.
func opsEnv(dataDir string, extra map[string]string) func(string) string {
	env := map[string]string{
		"GEHOORD_DATA_DIR": dataDir, "GEHOORD_ADDR": "127.0.0.1:0", "GEHOORD_LOG_LEVEL": "warn",
		"GEHOORD_REPORTS_PER_ADDRESS": "1000", "GEHOORD_REPORTS_PER_HOUR": "1000",
		"GEHOORD_PUSH_CONTACT": "mailto:desk@gehoord.example",
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// setOpsEnv puts the same environment in the process, for commands that
// read it (backup, restore, keys).
func setOpsEnv(t *testing.T, getenv func(string) string) {
	for _, k := range []string{"GEHOORD_DATA_DIR", "GEHOORD_SECRET_KEY", "GEHOORD_MONGODB_URI", "GEHOORD_DB_NAME", "GEHOORD_LOG_LEVEL"} {
		t.Setenv(k, getenv(k))
	}
}

func serveFor(t *testing.T, getenv func(string) string) *served {
	t.Helper()
	cfg, err := config.FromEnv(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuf
	log, err := NewLogger(&logs, "warn")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, log, io.Discard, ready) }()
	select {
	case addr := <-ready:
		s := &served{URL: "http://" + addr}
		var once bool
		s.stop = func() {
			if once {
				return
			}
			once = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
		return s
	case err := <-done:
		cancel()
		t.Fatalf("serve did not start: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start in a minute")
	}
	return nil
}

type lockedBuf struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (l *lockedBuf) lock() {
	if l.mu == nil {
		l.mu = make(chan struct{}, 1)
	}
	l.mu <- struct{}{}
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.lock()
	defer func() { <-l.mu }()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.lock()
	defer func() { <-l.mu }()
	return l.b.String()
}

// report files a case through the public API and returns its reference
// and receipt.
func report(t *testing.T, baseURL, description string) (ref, receipt string) {
	t.Helper()
	ref, receipt, err := fileReport(baseURL, description)
	if err != nil {
		t.Fatal(err)
	}
	return ref, receipt
}

// fileReport is report that returns its error, for goroutines other than
// the test's own.
func fileReport(baseURL, description string) (ref, receipt string, err error) {
	body, _ := json.Marshal(map[string]any{
		"kind": "complaint", "category": "business.bank", "description": description,
		"about": "Bank Oranje", "municipality": "Utrecht", "wish": "handle",
		"identity": map[string]any{"mode": "anonymous"}, "language": "nl",
	})
	res, err := http.Post(baseURL+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("report: %d %s", res.StatusCode, b)
	}
	var out struct{ Reference, Receipt string }
	if err := json.Unmarshal(b, &out); err != nil || out.Reference == "" || out.Receipt == "" {
		return "", "", fmt.Errorf("report answer %s: %v", b, err)
	}
	return out.Reference, out.Receipt, nil
}

// status looks a case up by its receipt through the public API.
func status(t *testing.T, baseURL, receipt string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"receipt": receipt})
	res, err := http.Post(baseURL+"/api/v1/status", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestMetricsScrape: /metrics on GEHOORD_METRICS_ADDR answers in the
// Prometheus text format with requests and latencies by route group, the
// push queue and the hash slots, and holds nothing a person sent; the
// public address does not serve it.
func TestMetricsScrape(t *testing.T) {
	metricsAddr := freeAddr(t)
	srv := serveFor(t, opsEnv(t.TempDir(), map[string]string{"GEHOORD_METRICS_ADDR": metricsAddr}))
	if code, _ := get(t, srv.URL+"/nl/"); code != 200 {
		t.Fatalf("home: %d", code)
	}
	secret := fmt.Sprintf("Geheime tekst %d", time.Now().UnixNano())
	ref, receipt := report(t, srv.URL, secret)
	if code, _ := get(t, srv.URL+"/nl/no-such-page"); code != http.StatusNotFound {
		t.Fatalf("unknown page: %d", code)
	}
	if res, err := http.Post(srv.URL+"/api/v1/reports", "application/json", strings.NewReader(`{"broken":`)); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode/100 != 4 {
		t.Fatalf("broken report: %d", res.StatusCode)
	}
	if code, _ := get(t, srv.URL+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("the public address serves /metrics: %d", code)
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := string(b)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`gehoord_http_requests_total{group="public",method="GET",status="2xx"} `,
		`gehoord_http_requests_total{group="reports_api",method="POST",status="2xx"} `,
		`gehoord_http_requests_total{group="reports_api",method="POST",status="4xx"} `,
		`gehoord_http_requests_total{group="public",method="GET",status="4xx"} `,
		`gehoord_http_request_duration_seconds_bucket{group="reports_api",le="+Inf"} `,
		"# TYPE gehoord_http_request_duration_seconds histogram",
		`gehoord_push_jobs{state="pending"} `,
		`gehoord_gate_slots{gate="hashes"} `,
		`gehoord_gate_shed_total{gate="public"} `,
		"# TYPE gehoord_job_runs_total counter",
		"# TYPE gehoord_store_duplicate_inserts_total counter",
		`gehoord_store_commands_total{command="insert"} `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	for _, never := range []string{secret, ref, receipt, "Utrecht", "Bank Oranje"} {
		if strings.Contains(out, never) {
			t.Errorf("the metrics hold what a person sent: %q", never)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", out)
	}
}
