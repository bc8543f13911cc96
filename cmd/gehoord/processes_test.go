package main_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestTwoProcessesCountExactly runs two real `gehoord serve` processes on
// one database (the test's own embedded FerretDB, as a standalone server)
// and scans one card through both at once: every scan is counted, none
// lost to the other process's write.
func TestTwoProcessesCountExactly(t *testing.T) {
	bin := buildBinary(t)
	uri, db, key := storetest.URI(t), storetest.DBName(), servertest.NewKey()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URI: uri, DBName: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DB.Drop(ctx); _ = st.Close(ctx) })
	if err := st.EnsureIndexes(ctx, cards.Indexes()...); err != nil {
		t.Fatal(err)
	}
	cs := cards.NewService(cards.Config{Store: st})
	b, err := cs.Create(ctx, cards.NewBatch{Count: 1, Label: "two processes", Language: "nl", Variant: cards.VariantPlain}, "test")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := cs.Codes(ctx, b.ID)
	if err != nil || len(codes) != 1 {
		t.Fatalf("codes: %v %v", codes, err)
	}

	urls := []string{startProcess(t, bin, uri, db, key), startProcess(t, bin, uri, db, key)}
	const scans = 40
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, scans)
	for i := range scans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := client.Get(urls[i%2] + "/c/" + codes[0])
			if err != nil {
				errs <- err
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				errs <- fmt.Errorf("scan answered %d", resp.StatusCode)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	stats, err := cs.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Batch.ID == b.ID && s.Scans != scans {
			t.Fatalf("%d scans through two processes counted as %d", scans, s.Scans)
		}
	}
}

// TestServeListensOnlyOnItsAddress: `gehoord serve` with the embedded
// database listens on TCP at its HTTP address and nowhere else (the
// database has no authentication: a loopback port would let any local
// process read and change it).
func TestServeListensOnlyOnItsAddress(t *testing.T) {
	bin := buildBinary(t)
	url, cmd := startProcessCmd(t, bin, "", "", servertest.NewKey())
	var mine []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		mine = listeningTCP(t, cmd.Process.Pid)
		if len(mine) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	want := fmt.Sprintf("%04X", mustAtoi(t, port))
	if len(mine) != 1 || !strings.HasSuffix(mine[0], ":"+want) {
		t.Fatalf("gehoord serve listens on %v; want only its HTTP port %s (hex %s)", mine, port, want)
	}
	// The database is up and answering (through its socket).
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	_ = resp.Body.Close()
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// listeningTCP lists the local addresses (hex, as /proc shows them) on
// which process pid listens.
func listeningTCP(t *testing.T, pid int) []string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d", pid)
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(dir, "fd", fd.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, f := range []string{dir + "/net/tcp", dir + "/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && fs[3] == "0A" && inodes[fs[9]] {
				out = append(out, fs[1])
			}
		}
	}
	return out
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gehoord")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startProcess starts `gehoord serve` on a free loopback port and waits
// until it answers.
func startProcess(t *testing.T, bin, uri, db, key string) string {
	t.Helper()
	url, _ := startProcessCmd(t, bin, uri, db, key)
	return url
}

// startProcessCmd is startProcess that also returns the process; an empty
// uri starts the embedded database in a fresh data folder.
func startProcessCmd(t *testing.T, bin, uri, db, key string) (string, *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"GEHOORD_ADDR="+addr, "GEHOORD_DATA_DIR="+t.TempDir(), "GEHOORD_MONGODB_URI="+uri,
		"GEHOORD_SECRET_KEY="+key, "GEHOORD_PUSH_CONTACT=mailto:desk@gehoord.example",
		"GEHOORD_LOG_LEVEL=warn")
	if db != "" {
		cmd.Env = append(cmd.Env, "GEHOORD_DB_NAME="+db)
	}
	log := &syncWriter{w: &strings.Builder{}}
	cmd.Stdout, cmd.Stderr = io.Discard, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gehoord serve did not answer: %v\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*strings.Builder).String()
}
