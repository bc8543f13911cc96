// Package servertest runs the real server for tests: real HTTP on a
// loopback port, the real embedded database (a fresh database per test).
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// Env is one running server.
type Env struct {
	URL    string
	Addr   string
	Deps   *server.Deps
	App    *fiber.App
	Config config.Config
	ln     net.Listener
	tls    *tls.Config
	done   chan struct{}
}

// Options change how Start builds the server.
type Options struct {
	// DBName shares a database between two servers (two instances).
	DBName string
	// SecretKey shares the key material between instances.
	SecretKey string
	// Env overrides configuration variables.
	Env map[string]string
	// Addr to listen on; default a free loopback port.
	Addr string
	// Log receives the server's log at LogLevel (default: discarded, warn).
	Log      io.Writer
	LogLevel slog.Level
	// TLS, when set, serves the app over TLS with this configuration (see
	// SelfSigned): URL is https://…, GEHOORD_PUBLIC_URL defaults to it,
	// and HTTPClient trusts its certificate.
	TLS *tls.Config
	// PushToLoopback lets push accept and send to endpoints on loopback,
	// where pushtest's local push services run. Off, push behaves as
	// deployed: the public push services only.
	PushToLoopback bool
	// RateLimitClock is the clock of the server's rate limits; nil pins
	// them to LimitEpoch, so a test that fills a limit never sees its
	// window (a fixed quarter hour or hour) turn halfway.
	RateLimitClock func() time.Time
}

// LimitEpoch is where the rate limits of every test server stand by
// default: the start of an hour, the same for every instance of a test
// (process), so two servers on one database count in one window.
var LimitEpoch = time.Now().Truncate(time.Hour)

// NewKey makes a random secret key in the form GEHOORD_SECRET_KEY takes.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Start runs a server for the test and stops it when the test ends.
func Start(t testing.TB) *Env { return StartWith(t, Options{}) }

// StartWith runs a server with options.
func StartWith(t testing.TB, o Options) *Env {
	t.Helper()
	if o.DBName == "" {
		o.DBName = storetest.DBName()
	}
	if o.SecretKey == "" {
		o.SecretKey = NewKey()
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("servertest: listen: %v", err)
	}
	addr = ln.Addr().String()
	base := "http://" + addr
	if o.TLS != nil {
		base = "https://" + addr
	}
	env := map[string]string{
		"GEHOORD_ADDR":         addr,
		"GEHOORD_DATA_DIR":     t.TempDir(),
		"GEHOORD_MONGODB_URI":  storetest.URI(t),
		"GEHOORD_DB_NAME":      o.DBName,
		"GEHOORD_SECRET_KEY":   o.SecretKey,
		"GEHOORD_PUSH_CONTACT": "mailto:desk@gehoord.example",
		// Tests make many reports from the one loopback address; a test of
		// the report limits sets its own.
		"GEHOORD_REPORTS_PER_ADDRESS": "100000",
		"GEHOORD_REPORTS_PER_HOUR":    "100000",
	}
	if o.TLS != nil {
		env["GEHOORD_PUBLIC_URL"] = base
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.FromEnv(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("servertest: config: %v", err)
	}
	cfg.PushAllowLoopback = o.PushToLoopback
	cfg.RateLimitClock = o.RateLimitClock
	if cfg.RateLimitClock == nil {
		cfg.RateLimitClock = func() time.Time { return LimitEpoch }
	}
	w, level := logWriter(t), slog.LevelWarn
	if o.Log != nil {
		w, level = o.Log, o.LogLevel
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	d, err := server.Build(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("servertest: build: %v", err)
	}
	app, err := server.New(d)
	if err != nil {
		t.Fatalf("servertest: new: %v", err)
	}
	e := &Env{URL: base, Addr: addr, Deps: d, App: app, Config: cfg, ln: ln, tls: o.TLS, done: make(chan struct{})}
	d.Start(context.Background())
	serve := ln
	if o.TLS != nil {
		serve = tls.NewListener(ln, o.TLS)
	}
	go func() {
		defer close(e.done)
		_ = app.Listener(serve)
	}()
	t.Cleanup(e.Stop)
	return e
}

// logWriter keeps the server's warnings and errors, and shows them when
// the test fails: a 500 in a test then says why. GEHOORD_TEST_LOG=1 sends
// them to standard error as they happen instead.
func logWriter(t testing.TB) io.Writer {
	if os.Getenv("GEHOORD_TEST_LOG") != "" {
		return os.Stderr
	}
	b := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			if s := b.String(); s != "" {
				t.Logf("server log (warn and above):\n%s", s)
			}
		}
	})
	return b
}

// lockedBuffer is a log buffer many request goroutines write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep memory bounded in long tests
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Stop shuts the server down gracefully; safe to call twice.
func (e *Env) Stop() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.App.ShutdownWithTimeout(10 * time.Second)
	// A shutdown that comes before Fiber started serving (a test that
	// failed at once) does not stop it; closing the listener always does.
	_ = e.ln.Close()
	<-e.done
	e.Deps.Stop()
	_ = e.Deps.Store.Close(context.Background())
}

// Client is an HTTP client that does not follow redirects, so tests see
// them.
func Client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
