package server_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/servertest"
)

// errDiskFull is how the embedded database (SQLite) reports a full disk.
var errDiskFull = errors.New("(InternalError) database or disk is full")

// TestStorageTroubleAnswers503: when the database cannot write (a full
// disk), the desk answered 500, the form lost what she typed, and
// /healthz said ok. Now: 503 with Retry-After everywhere, her report
// form comes back with her words, the readiness check says the database
// cannot write while the liveness check stays ok, and all is as before
// once writing works again.
func TestStorageTroubleAnswers503(t *testing.T) {
	env := servertest.Start(t)
	if r := env.Get(t, "/healthz/ready"); r.StatusCode != 200 {
		t.Fatalf("ready before the fault: %d %s", r.StatusCode, r.Body)
	}
	env.Deps.Store.SetWriteFault(errDiskFull)
	t.Cleanup(func() { env.Deps.Store.SetWriteFault(nil) })

	if r := env.Get(t, "/healthz/live"); r.StatusCode != 200 {
		t.Errorf("live with a full disk: %d, want 200 (the process serves)", r.StatusCode)
	}
	for _, p := range []string{"/healthz", "/healthz/ready"} {
		if r := env.Get(t, p); r.StatusCode != 503 || !strings.Contains(string(r.Body), "cannot write") || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s with a full disk: %d %s, want 503 saying the database cannot write", p, r.StatusCode, r.Body)
		}
	}

	const words = "Mijn werkgever houdt mijn paspoort vast"
	a := mustSend(t, env, "/nl/report", formType, []byte(reportForm(env, words).Encode()), "")
	if a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Errorf("report form with a full disk: %d Retry-After %q, want 503 with Retry-After", a.status, a.header.Get("Retry-After"))
	}
	for _, want := range []string{words, "We kunnen meldingen nu even niet opslaan", `action="/nl/report"`} {
		if !bytes.Contains(a.body, []byte(want)) {
			t.Errorf("report form with a full disk: %q not on the page:\n%.500s", want, a.body)
		}
	}
	a = mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), "")
	if a.status != 503 || a.header.Get("Retry-After") == "" || a.header.Get("Content-Type") != "application/problem+json" ||
		!bytes.Contains(a.body, []byte("Er is niets verloren gegaan")) {
		t.Errorf("API report with a full disk: %d %q %s, want 503 problem+json with Retry-After", a.status, a.header.Get("Retry-After"), a.body)
	}
	a = mustSend(t, env, "/en/status", formType, []byte("receipt=1234123412341234"), "")
	if a.status != 503 || a.header.Get("Retry-After") == "" || !bytes.Contains(a.body, []byte("We cannot save anything right now")) {
		t.Errorf("status lookup with a full disk: %d, want 503 with the page saying so:\n%.400s", a.status, a.body)
	}

	env.Deps.Store.SetWriteFault(nil)
	if a := mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), ""); a.status != 201 {
		t.Fatalf("report once the disk has room: %d %s", a.status, a.body)
	}
	if r := env.Get(t, "/healthz"); r.StatusCode != 200 {
		t.Fatalf("healthz once the disk has room: %d %s", r.StatusCode, r.Body)
	}
}

// TestReadOnlyDataFolderSaysSo: starting on a data folder that cannot be
// written fails with a sentence that says so and what to do, instead of a
// database error.
func TestReadOnlyDataFolderSaysSo(t *testing.T) {
	dir := t.TempDir()
	readOnly(t, dir)
	env := map[string]string{"GEHOORD_DATA_DIR": dir, "GEHOORD_SECRET_KEY": servertest.NewKey()}
	cfg, err := config.FromEnv(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := server.Build(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		_ = d.Close(t.Context())
		t.Fatal("started on a read-only data folder")
	}
	if !strings.Contains(err.Error(), "data folder "+dir+" cannot be written") || !strings.Contains(err.Error(), "GEHOORD_DATA_DIR") {
		t.Fatalf("refused without saying the folder cannot be written: %v", err)
	}
}

// readOnly makes dir unwritable for this process: without write
// permission, or, for root (whom permissions do not stop), immutable.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("cannot make %s read-only for root (chattr +i): %v %s", dir, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
}
