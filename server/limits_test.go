package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server"
	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// behindProxy trusts loopback as a reverse proxy, so each request can come
// from its own client address through X-Forwarded-For.
func behindProxy(extra map[string]string) servertest.Options {
	env := map[string]string{"GEHOORD_TRUSTED_PROXIES": "127.0.0.1"}
	for k, v := range extra {
		env[k] = v
	}
	return servertest.Options{Env: env}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// send posts body from client address from (empty: the loopback itself).
// It returns an error instead of failing, so goroutines may call it.
func send(c *http.Client, env *servertest.Env, path, contentType string, body []byte, from string) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", contentType)
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	res, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/") {
		// The public forms answer with a page shown once (POST-redirect-
		// GET): follow it as a browser does, from the same address.
		get, err := http.NewRequest(http.MethodGet, env.URL+loc, nil)
		if err != nil {
			return answer{}, err
		}
		if from != "" {
			get.Header.Set("X-Forwarded-For", from)
		}
		res2, err := c.Do(get)
		if err != nil {
			return answer{}, err
		}
		defer res2.Body.Close()
		res = res2
	}
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b}, err
}

func mustSend(t *testing.T, env *servertest.Env, path, contentType string, body []byte, from string) answer {
	t.Helper()
	a, err := send(servertest.Client(), env, path, contentType, body, from)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return a
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var report = map[string]any{"kind": "question", "description": "Mag de verhuurder sleutelgeld vragen?", "wish": "advice",
	"identity": map[string]string{"mode": "anonymous"}, "language": "nl"}

// reportForm is a filled-in intake form as the desk hands it out: a fresh
// id signed by the desk, which derives the receipt from it.
func reportForm(env *servertest.Env, description string) url.Values {
	id := uuid.NewString()
	return url.Values{"id": {id}, "token": {env.Deps.PublicViews.FormToken(id)},
		"kind": {"complaint"}, "category": {"police"}, "description": {description},
		"wish": {"advice"}, "identity_mode": {"anonymous"}, "reporter": {"self"}}
}

const formType = "application/x-www-form-urlencoded"

// memKB reads a field (VmRSS, VmHWM) of this process's status in KiB.
func memKB(t *testing.T, field string) int64 {
	t.Helper()
	n, err := readKB(field)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readKB is memKB that returns its error, for the sampling goroutine.
func readKB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %v", field, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// TestParallelLookupsKeepMemoryBounded: 200 status lookups at once, each
// from another address (as a botnet would send them, so the per-address
// miss limit does not stop them), through the API and the form. Every
// receipt lookup runs argon2id at 19 MiB; unbounded, 200 of them at once
// take gigabytes. Resident memory must stay bounded and every answer must
// be one a client can act on: found, not found, limited, or busy.
func TestParallelLookupsKeepMemoryBounded(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(nil))
	var made struct{ Receipt string }
	if err := json.Unmarshal(mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), "192.0.2.1").body, &made); err != nil || made.Receipt == "" {
		t.Fatalf("no receipt: %v", err)
	}

	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sysBefore := ms.Sys
	before := memKB(t, "VmRSS")
	// Reset the peak so VmHWM measures this flood alone (Linux ≥ 4.0);
	// the sampler below covers kernels where that is refused.
	peakReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	var sampled atomic.Int64
	stop := make(chan struct{})
	sampling := make(chan struct{})
	go func() {
		defer close(sampling)
		for {
			kb, err := readKB("VmRSS")
			if err != nil {
				t.Error(err)
				return
			}
			if kb > sampled.Load() {
				sampled.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	const n = 200
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	var (
		mu     sync.Mutex
		codes  = map[int]int{}
		failed []error
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i := range n {
		// Numbers that pass the check digit, so each one is hashed.
		receipt := cases.WithCheckDigit(fmt.Sprintf("%015d", 4_000_000+i))
		if i%20 == 0 {
			receipt = made.Receipt
		}
		path, ctype, body := "/api/v1/status", "application/json", jsonBody(t, map[string]string{"receipt": receipt})
		if i%2 == 1 {
			path, ctype, body = "/nl/status", formType, []byte(url.Values{"receipt": {receipt}}.Encode())
		}
		from := fmt.Sprintf("10.%d.%d.7", i/250, i%250)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := send(client, env, path, ctype, body, from)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, err)
				return
			}
			codes[a.status]++
		}()
	}
	close(start)
	wg.Wait()
	close(stop)
	<-sampling

	peak := sampled.Load()
	if peakReset {
		peak = max(peak, memKB(t, "VmHWM"))
	}
	growthMB := (peak - before) / 1024
	// What the Go runtime took from the system (heap, stacks) never
	// shrinks, so its growth is the peak; the race detector's shadow is
	// not in it.
	runtime.ReadMemStats(&ms)
	goGrowthMB := int64(ms.Sys-sysBefore) >> 20
	t.Logf("%d lookups: %v; resident memory %d MB before, peak %d MB (+%d MB); Go runtime +%d MB",
		n, codes, before/1024, peak/1024, growthMB, goGrowthMB)
	if len(failed) > 0 {
		t.Fatalf("%d lookups got no answer, first: %v", len(failed), failed[0])
	}
	for code, k := range codes {
		if code != 200 && code != 404 && code != 429 && code != 503 {
			t.Errorf("%d lookups answered %d; want only 200, 404, 429 or 503 (all: %v)", k, code, codes)
		}
	}
	if goGrowthMB >= 400 {
		t.Errorf("the Go runtime took %d MB more during %d parallel lookups, want under 400 MB", goGrowthMB, n)
	}
	// Unbounded, the same flood took over 2 GB under the race detector.
	limitMB := int64(400)
	if raceDetector {
		limitMB = 800
	}
	if growthMB >= limitMB {
		t.Fatalf("resident memory grew by %d MB during %d parallel lookups, want under %d MB", growthMB, n, limitMB)
	}
}

// The intake form and the API share a limit per client address (and per
// IPv6 /64); the answer is 429 with Retry-After, and the form comes back
// with what she typed. Forms that fail validation make no case and are not
// counted.
func TestReportsLimitedPerAddress(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(map[string]string{
		"GEHOORD_REPORTS_PER_ADDRESS": "3", "GEHOORD_REPORTS_PER_HOUR": "1000"}))
	api := func(from string) answer {
		return mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), from)
	}
	form := func(from, description string) answer {
		return mustSend(t, env, "/nl/report", formType, []byte(reportForm(env, description).Encode()), from)
	}

	// Invalid forms and bodies make no case and do not count.
	for range 4 {
		if a := mustSend(t, env, "/nl/report", formType, []byte("kind=complaint"), "203.0.113.1"); a.status != 422 {
			t.Fatalf("invalid form: %d", a.status)
		}
	}
	for i, a := range []answer{api("203.0.113.1"), form("203.0.113.1", "Eerste melding"), api("203.0.113.1")} {
		if a.status != 201 && a.status != 200 {
			t.Fatalf("report %d of 3 from one address: %d %s", i+1, a.status, a.body)
		}
	}
	a := api("203.0.113.1")
	if a.status != 429 || a.header.Get("Content-Type") != "application/problem+json" || a.header.Get("Retry-After") == "" {
		t.Fatalf("4th report from one address through the API: %d %q Retry-After %q, want 429 problem+json with Retry-After",
			a.status, a.header.Get("Content-Type"), a.header.Get("Retry-After"))
	}
	const words = "Hij hield mijn paspoort vast en wilde het niet teruggeven"
	a = form("203.0.113.1", words)
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("4th report from one address through the form: %d Retry-After %q, want 429 with Retry-After", a.status, a.header.Get("Retry-After"))
	}
	if !bytes.Contains(a.body, []byte(words)) || !bytes.Contains(a.body, []byte(`action="/nl/report"`)) {
		t.Fatalf("the limited form lost what she typed:\n%s", a.body)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("limited form with her words: Cache-Control %q", a.header.Get("Cache-Control"))
	}
	// Another address is not limited.
	if a := api("203.0.113.2"); a.status != 201 {
		t.Fatalf("another address: %d %s", a.status, a.body)
	}

	// IPv6: one household or phone gets a whole /64 from its provider, so
	// the /64 is one client.
	for i, from := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::9", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		if a := api(from); a.status != 201 {
			t.Fatalf("IPv6 report %d in one /64: %d %s", i+1, a.status, a.body)
		}
	}
	if a := api("2001:db8:1:2:1234::5"); a.status != 429 {
		t.Fatalf("4th report from one IPv6 /64: %d, want 429", a.status)
	}
	if a := api("2001:db8:1:3::1"); a.status != 201 {
		t.Fatalf("the next /64: %d %s", a.status, a.body)
	}
}

// A flood of reports from many addresses stops at the desk-wide ceiling
// per hour, so it cannot bury the inbox and the staff's notifications.
func TestReportsHaveAGlobalCeiling(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(map[string]string{
		"GEHOORD_REPORTS_PER_ADDRESS": "10", "GEHOORD_REPORTS_PER_HOUR": "4"}))
	for i := range 4 {
		from := fmt.Sprintf("198.51.100.%d", i+1)
		var a answer
		if i == 2 {
			a = mustSend(t, env, "/nl/report", formType, []byte(reportForm(env, "Via het formulier").Encode()), from)
		} else {
			a = mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), from)
		}
		if a.status != 201 && a.status != 200 {
			t.Fatalf("report %d of 4: %d %s", i+1, a.status, a.body)
		}
	}
	a := mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), "198.51.100.50")
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("5th report in the hour, from a new address: %d Retry-After %q, want 429", a.status, a.header.Get("Retry-After"))
	}
	a = mustSend(t, env, "/en/report", formType, []byte(reportForm(env, "Over the ceiling").Encode()), "198.51.100.51")
	if a.status != 429 || !bytes.Contains(a.body, []byte("Over the ceiling")) {
		t.Fatalf("form over the ceiling: %d, her words kept: %v", a.status, bytes.Contains(a.body, []byte("Over the ceiling")))
	}
}

// The public pages read at most 128 KiB of a form (today: 16 MiB): enough
// for the longest valid report in any language, percent-encoded; a 1 MB
// body gets 413 with a page in her language.
func TestPublicFormBodyLimit(t *testing.T) {
	env := servertest.Start(t)
	big := []byte(reportForm(env, strings.Repeat("a", 1<<20)).Encode())
	for _, c := range []struct{ path, text string }{
		{"/nl/report", "Dit is te groot om te versturen."},
		{"/en/status", "This is too large to send."},
		{"/nl/status/reply", "Dit is te groot om te versturen."},
	} {
		a := mustSend(t, env, c.path, formType, big, "")
		if a.status != 413 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !bytes.Contains(a.body, []byte(c.text)) {
			t.Fatalf("1 MB form to %s: %d %q, want 413 with the page %q:\n%.400s", c.path, a.status, a.header.Get("Content-Type"), c.text, a.body)
		}
	}
	// The longest valid description, in Chinese: percent-encoding makes
	// each character 9 bytes, about 90 KB in all. It must still be taken.
	long := reportForm(env, strings.Repeat("我", 10000))
	long.Set("about", strings.Repeat("店", 200))
	long.Set("municipality", "unknown") // a choice from the list, no longer free text
	if a := mustSend(t, env, "/zh/report", formType, []byte(long.Encode()), ""); a.status != 200 && a.status != 303 {
		t.Fatalf("a full-length Chinese report (%d bytes): %d", len(long.Encode()), a.status)
	}
}

// TestAttackOnAccountDoesNotLockHerOut: wrong passwords for one staff
// member's address from many client addresses used to lock her account
// (10 per 15 minutes, then even the right password got 429, and no tablet
// could be enrolled). Now she signs in from her own address, and enrols a
// tablet, while the attack goes on.
func TestAttackOnAccountDoesNotLockHerOut(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(nil))
	her := stafftest.SignIn(t, env, "outreach") // from the loopback: her own address
	for i := range 15 {
		a := mustSend(t, env, "/api/v1/outreach/devices", "application/json",
			jsonBody(t, map[string]string{"email": her.User.Email, "password": "guessed password " + strconv.Itoa(i), "code": "123456"}),
			fmt.Sprintf("198.51.100.%d", i+1))
		if a.status != 401 {
			t.Fatalf("attack attempt %d: %d %s", i+1, a.status, a.body)
		}
	}
	// A fresh browser on her own address (the loopback).
	again := stafftest.NewClient(t, env.URL)
	again.User, again.Secret = her.User, her.Secret
	if res := again.SignInAgain(her.Recovery[0]); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/staff/account" {
		t.Fatalf("her own sign-in during the attack: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	a := mustSend(t, env, "/api/v1/outreach/devices", "application/json",
		jsonBody(t, map[string]string{"email": her.User.Email, "password": stafftest.Password, "code": her.Recovery[1], "label": "Tablet"}), "")
	if a.status != 201 {
		t.Fatalf("enrolling her tablet during the attack: %d %s", a.status, a.body)
	}
}

// The server does not start with a secret key file that group or others
// can read, and says why.
func TestServerRefusesReadableKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := []byte(servertest.NewKey() + "\n")
	if err := os.WriteFile(dir+"/secret.key", key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir+"/secret.key", 0o640); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GEHOORD_DATA_DIR": dir, "GEHOORD_MONGODB_URI": storetest.URI(t), "GEHOORD_DB_NAME": storetest.DBName()}
	cfg, err := config.FromEnv(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := server.Build(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		_ = d.Close(t.Context())
		t.Fatal("started with a secret key file that its group can read")
	}
	if !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("refused without saying what to do: %v", err)
	}
}

// holdAll takes every slot of g until the test ends (or release is
// called), with a short wait for the others.
func holdAll(t *testing.T, g *gate.Gate) (release func()) {
	t.Helper()
	wait := g.Wait()
	g.SetWait(time.Second)
	t.Cleanup(func() { g.SetWait(wait) })
	var held []func()
	for range g.Size() {
		r, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, r := range held {
				r()
			}
		})
	}
	t.Cleanup(release)
	return release
}

type busyCase struct {
	name, path, contentType, body, from string
	want                                []string // in the body
}

// sendAll sends every case at once (each waits out the gate) and returns
// the answers by name.
func sendAll(t *testing.T, env *servertest.Env, cs []busyCase) map[string]answer {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		got  = map[string]answer{}
		errs []error
	)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := send(servertest.Client(), env, c.path, c.contentType, []byte(c.body), c.from)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			got[c.name] = a
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return got
}

func checkBusy(t *testing.T, cs []busyCase, got map[string]answer) {
	t.Helper()
	for _, c := range cs {
		a := got[c.name]
		if a.status != 503 || a.header.Get("Retry-After") == "" {
			t.Errorf("%s: %d Retry-After %q, want 503 with Retry-After", c.name, a.status, a.header.Get("Retry-After"))
			continue
		}
		if strings.HasPrefix(c.path, "/api/") && a.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", c.name, a.header.Get("Content-Type"))
		}
		for _, w := range c.want {
			if !bytes.Contains(a.body, []byte(w)) {
				t.Errorf("%s: %q not in the answer:\n%.600s", c.name, w, a.body)
			}
		}
	}
}

// When every argon2id slot stays taken, receipt lookups, reports and
// sign-ins wait a moment and then get 503 with Retry-After: problem+json
// on the API, the busy page in her language, and the report form with what
// she typed. A report that was not made is not counted against her.
func TestBusyHashesAnswer503(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(map[string]string{"GEHOORD_REPORTS_PER_ADDRESS": "1"}))
	her := stafftest.NewUser(t, env, "outreach")
	release := holdAll(t, seal.Hashes)
	const words = "De eigenaar hield mijn loon in"
	cs := []busyCase{
		{"API status", "/api/v1/status", "application/json", `{"receipt":"1234123412341234"}`, "192.0.2.1", []string{`"status":503`}},
		{"API report", "/api/v1/reports", "application/json", string(jsonBody(t, report)), "192.0.2.2", nil},
		{"status page", "/nl/status", formType, "receipt=1234123412341234", "192.0.2.1", []string{"Het is nu te druk bij ons"}},
		{"report form", "/nl/report", formType, reportForm(env, words).Encode(), "192.0.2.3",
			[]string{words, "Je melding is niet verstuurd", `action="/nl/report"`}},
		{"tablet enrolment", "/api/v1/outreach/devices", "application/json",
			string(jsonBody(t, map[string]string{"email": her.Email, "password": stafftest.Password, "code": "123456"})), "192.0.2.4", nil},
	}
	checkBusy(t, cs, sendAll(t, env, cs))
	release()

	// The reports that were not made are not counted: one from the same
	// address (limit 1 an hour) is taken now.
	for _, from := range []string{"192.0.2.2", "192.0.2.3"} {
		if a := mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), from); a.status != 201 {
			t.Fatalf("report after a busy one from %s: %d %s", from, a.status, a.body)
		}
	}
}

// When the anonymous work gates stay full (a flood of posts), the next
// post waits a moment and gets 503 with Retry-After, and her report form
// comes back with what she typed.
func TestBusyServerAnswers503(t *testing.T) {
	env := servertest.Start(t)
	holdAll(t, env.Deps.PublicWork)
	holdAll(t, env.Deps.SignInWork)
	const words = "He kept my passport"
	cs := []busyCase{
		{"API status", "/api/v1/status", "application/json", `{"receipt":"1234123412341234"}`, "", []string{`"status":503`}},
		{"API report", "/api/v1/reports", "application/json", string(jsonBody(t, report)), "", nil},
		{"status reply", "/en/status/reply", formType, "receipt=1234123412341234&body=hello", "", []string{"We are too busy right now"}},
		{"report form", "/en/report", formType, reportForm(env, words).Encode(), "", []string{words, "Your report was not sent"}},
		{"tablet enrolment", "/api/v1/outreach/devices", "application/json", `{"email":"a@desk.test","password":"x","code":"1"}`, "", nil},
		{"staff sign-in", "/staff/signin", formType, "email=a@desk.test&password=x", "", nil},
	}
	checkBusy(t, cs, sendAll(t, env, cs))
}
