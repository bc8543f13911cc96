// Package cli is the gehoord command: serve (the default), user, backup,
// restore, keys and version.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gehoord/gehoord/server"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/seal"
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// Run runs the command line and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serveCmd(ctx, rest, stdout, stderr, nil); err != nil {
			fmt.Fprintln(stderr, "gehoord:", err)
			return 1
		}
		return 0
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "gehoord", Version)
		return 0
	case "user":
		if err := userCmd(context.Background(), rest, stdin, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "gehoord:", err)
			return 1
		}
		return 0
	case "backup", "restore", "keys":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		run := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
			"backup": backupCmd, "restore": restoreCmd, "keys": keysCmd,
		}[cmd]
		if err := run(ctx, rest, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "gehoord:", err)
			return 1
		}
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  gehoord [serve] [flags]                             start the server (flags: gehoord serve -h)
  gehoord user add --email E --role R [--name N]      create a staff user
  gehoord user passwd --email E                       set a staff user's password; their sessions end
  gehoord user reset --email E                        temporary password; new password and second factor at next sign-in
                                                      (passwords are typed without echo, or read from standard input)
  gehoord backup --out FILE                           a consistent backup, also while the server runs (not the key)
  gehoord restore --in FILE                           restore a backup into an empty database (needs the backup's key)
  gehoord keys rotate                                 re-seal everything to a new key; run again to resume
  gehoord keys drop-old                               remove the old key once nothing needs it
  gehoord version                                     print the version
`)
}

// NewLogger makes the process logger at the configured level.
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	lv, err := config.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
}

// Serve runs the server until ctx ends, then shuts down gracefully: stop
// accepting, let requests in flight finish, stop jobs, close the database.
// ready, when not nil, receives the listening address.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer, ready chan<- string) error {
	if err := keyForExistingData(cfg); err != nil {
		return err
	}
	d, err := server.Build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := d.Close(closeCtx); err != nil {
			log.Error("close database", "err", err)
		}
	}()
	app, err := server.New(d)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	addr := ln.Addr().String()
	log.Info("gehoord listening", "addr", addr, "public_url", cfg.PublicURL, "version", Version)
	fmt.Fprintf(stdout, "Gehoord is running at http://%s/\n", addr)
	if n, err := d.Staff.Count(ctx); err == nil && n == 0 {
		fmt.Fprint(stdout, "The database has no staff users yet. Create the first admin with:\n"+
			"  go run ./cmd/gehoord user add --email you@example.org --role admin --name \"Your Name\"\n"+
			"and type the password at the prompt (it is not shown).\n")
	}
	stopMetrics, err := serveMetrics(cfg, d, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	d.Start(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	if ready != nil {
		ready <- addr
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Error("shutdown", "err", err)
	}
	// A stop right after start can reach fasthttp before its Serve took
	// the listener; Shutdown then leaves it open and Serve never returns.
	_ = ln.Close()
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		log.Warn("listener", "err", err)
	}
	d.Stop()
	log.Info("stopped")
	return nil
}

// keyForExistingData refuses to start on an embedded database that has
// data but no key (a restored folder, a key file lost or left behind):
// the server would make a new key that opens nothing in it, and seal new
// cases with it. A first start, on an empty folder, makes the key.
func keyForExistingData(cfg config.Config) error {
	if strings.TrimSpace(cfg.SecretKey) != "" || cfg.MongoURI != "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, seal.KeyFile)); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "db", "*.sqlite")); len(files) > 0 {
		return fmt.Errorf("%s holds a database but no key (%s): a new key would open nothing in it. "+
			"Put the desk's key file back (mode 0600) or set GEHOORD_SECRET_KEY", cfg.DataDir, seal.KeyFile)
	}
	return nil
}

// serveMetrics serves /metrics on the separate metrics address, when one is
// configured, and registers what the server measures at each scrape.
func serveMetrics(cfg config.Config, d *server.Deps, log *slog.Logger) (stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	metrics.GaugeFuncVec("gehoord_push_jobs", "Push jobs by state: pending and sending are the queue, done and failed the results still kept.", "state",
		func() map[string]float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			out := map[string]float64{}
			stats, err := d.Push.QueueStats(ctx)
			if err != nil {
				return out
			}
			for k, v := range stats {
				out[k] = float64(v)
			}
			return out
		})
	metrics.CounterFunc("gehoord_store_duplicate_inserts_total",
		"Inserts the database refused for a unique key since start: claims, numbers and repeats; many a second mean writers race.",
		func() float64 { return float64(d.Store.Duplicates()) })
	metrics.CounterFuncVec("gehoord_store_commands_total",
		"Commands sent to the database since start, by command (insert, find, update, delete, …): on the embedded database each costs a parse and, for a write, a sync to disk.",
		"command", func() map[string]float64 {
			out := map[string]float64{}
			for k, v := range d.Store.Commands() {
				out[k] = float64(v)
			}
			return out
		})
	registerGates(metrics.Default, map[string]func() gate.Stats{
		"public": d.PublicWork.Stats, "signin": d.SignInWork.Stats, "hashes": seal.Hashes.Stats,
	})
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on GEHOORD_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Default.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := config.FromEnv(args, nil)
	if err != nil {
		return err
	}
	log, err := NewLogger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	return Serve(ctx, cfg, log, stdout, ready)
}
