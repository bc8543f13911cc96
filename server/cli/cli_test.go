package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := Run([]string{"version"}, nil, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "gehoord ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := Run([]string{"nonsense"}, nil, io.Discard, io.Discard); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

// TestGracefulShutdownLosesNoAcceptedRequest sends reports without pause
// while the server is told to stop: every request gets either a whole
// answer or a refused connection, and every 201 is a stored case.
func TestGracefulShutdownLosesNoAcceptedRequest(t *testing.T) {
	dbName := storetest.DBName()
	env := map[string]string{
		"GEHOORD_ADDR": "127.0.0.1:0", "GEHOORD_DATA_DIR": t.TempDir(), "GEHOORD_MONGODB_URI": storetest.URI(t),
		"GEHOORD_DB_NAME": dbName, "GEHOORD_SECRET_KEY": servertest.NewKey(), "GEHOORD_PUSH_CONTACT": "mailto:desk@gehoord.example",
		// Every report comes from the loopback: no per-address limit here.
		"GEHOORD_REPORTS_PER_ADDRESS": "100000", "GEHOORD_REPORTS_PER_HOUR": "100000",
	}
	cfg, err := config.FromEnv(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	served := make(chan error, 1)
	var out bytes.Buffer
	go func() { served <- Serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}

	var (
		mu       sync.Mutex
		accepted []string
		broken   []error
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("00000000-0000-4000-8000-%04d%08d", w, i)
				body, _ := json.Marshal(map[string]any{"id": id, "kind": "listen", "description": "shutdown " + id,
					"wish": "heard", "identity": map[string]string{"mode": "anonymous"}, "language": "nl"})
				res, err := client.Post("http://"+addr+"/api/v1/reports", "application/json", bytes.NewReader(body))
				if err != nil {
					var op *net.OpError
					if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &op) && op.Op == "dial" {
						// Not accepted: the listener is closed, or it
						// closed with this connection still in the
						// kernel's queue (reset while connecting). The
						// request was never sent.
						return
					}
					mu.Lock()
					broken = append(broken, err)
					mu.Unlock()
					return
				}
				_, rerr := io.ReadAll(res.Body)
				res.Body.Close()
				mu.Lock()
				if rerr != nil || (res.StatusCode != 201 && res.StatusCode != 503) {
					broken = append(broken, fmt.Errorf("status %d, read %v", res.StatusCode, rerr))
				}
				if res.StatusCode == 201 {
					accepted = append(accepted, id)
				}
				mu.Unlock()
			}
		}()
	}
	// Shut down while reports are flowing: once a good number went through
	// (not after a fixed while, which on a slow machine may be none).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d reports accepted in 30 s before the shutdown", n)
		}
	}
	cancel() // what SIGTERM does through signal.NotifyContext
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	close(stop)
	wg.Wait()
	if len(broken) > 0 {
		t.Fatalf("%d requests broken by the shutdown, first: %v", len(broken), broken[0])
	}
	if len(accepted) < 5 {
		t.Fatalf("only %d requests accepted before shutdown; the test proves nothing", len(accepted))
	}
	st, err := store.Open(context.Background(), store.Options{URI: storetest.URI(t), DBName: dbName})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	for _, id := range accepted {
		n, err := st.C("cases").CountDocuments(context.Background(), bson.M{"client_id": id})
		if err != nil || n != 1 {
			t.Fatalf("accepted report %s stored %d times (%v)", id, n, err)
		}
	}
	if !strings.Contains(out.String(), "Gehoord is running at http://") || !strings.Contains(out.String(), "user add --email") {
		t.Fatalf("start-up output: %q", out.String())
	}
	t.Logf("%d reports accepted during the run, all stored", len(accepted))
}
