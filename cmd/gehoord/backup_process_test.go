package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/servertest"
)

// TestBackupFromASecondProcessWhileServing: `gehoord backup`, a second
// process, copies the embedded database of a running `gehoord serve`
// process that keeps taking reports; `gehoord restore` puts it into a new
// data folder; a server there finds every case filed before the backup
// began and hands out no reference the first server gave.
func TestBackupFromASecondProcessWhileServing(t *testing.T) {
	bin := buildBinary(t)
	key := servertest.NewKey()
	dataA := t.TempDir()
	urlA := startServeIn(t, bin, dataA, key)

	type filed struct{ ref, receipt string }
	var mu sync.Mutex
	var all []filed
	stop, stopped := make(chan struct{}), make(chan struct{})
	first := make(chan struct{}, 1)
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ref, rc, err := fileReport(urlA, "Tijdens de backup")
			if err != nil {
				t.Errorf("report while backing up: %v", err)
				return
			}
			mu.Lock()
			all = append(all, filed{ref, rc})
			n := len(all)
			mu.Unlock()
			if n == 5 {
				first <- struct{}{}
			}
		}
	}()
	select {
	case <-first:
	case <-stopped:
		t.Fatal("no reports were filed")
	}
	mu.Lock()
	before := slices.Clone(all)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "desk.backup")
	out, err := runGehoord(bin, dataA, key, "backup", "--out", file)
	close(stop)
	<-stopped
	if err != nil {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	mu.Lock()
	issued := slices.Clone(all)
	mu.Unlock()
	if len(issued) <= len(before) {
		t.Logf("no report was filed while the backup ran (%d before)", len(before))
	}

	dataB := t.TempDir()
	if out, err := runGehoord(bin, dataB, key, "restore", "--in", file); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	urlB := startServeIn(t, bin, dataB, key)
	for _, f := range before {
		if code, body := lookUp(t, urlB, f.receipt); code != 200 || !strings.Contains(body, f.ref) {
			t.Fatalf("case %s filed before the backup is not in it: %d %s", f.ref, code, body)
		}
	}
	ref, _, err := fileReport(urlB, "Na het terugzetten")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range issued {
		if f.ref == ref {
			t.Fatalf("the restored desk handed out %s again", ref)
		}
	}
}

func runGehoord(bin, dataDir, key string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GEHOORD_DATA_DIR="+dataDir, "GEHOORD_SECRET_KEY="+key, "GEHOORD_MONGODB_URI=", "GEHOORD_LOG_LEVEL=warn")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startServeIn starts `gehoord serve` with the embedded database in
// dataDir and waits until it answers.
func startServeIn(t *testing.T, bin, dataDir, key string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "GEHOORD_ADDR="+addr, "GEHOORD_DATA_DIR="+dataDir, "GEHOORD_MONGODB_URI=",
		"GEHOORD_SECRET_KEY="+key, "GEHOORD_PUSH_CONTACT=mailto:desk@gehoord.example", "GEHOORD_LOG_LEVEL=warn",
		"GEHOORD_REPORTS_PER_ADDRESS=100000", "GEHOORD_REPORTS_PER_HOUR=100000")
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
		if t.Failed() {
			t.Logf("server log (%s):\n%s", dataDir, log.String())
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gehoord serve did not answer: %v\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

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
	var out struct{ Reference, Receipt string }
	if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
		return "", "", &reportError{res.StatusCode, string(b)}
	}
	return out.Reference, out.Receipt, nil
}

type reportError struct {
	code int
	body string
}

func (e *reportError) Error() string { return http.StatusText(e.code) + ": " + e.body }

func lookUp(t *testing.T, baseURL, receipt string) (int, string) {
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
