package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestFloodIsShedAndNoAcceptedCaseLost: reports to the API at ten times
// the rate the machine sustains (measured first, in the same run), from
// clients of which half give up after a second, as people and phones do.
// Before, work piled up without bound and every abandoned request still
// became a case (661 stored, 147 answered). Now: every answer is 201 or
// 503 with Retry-After, no patient client times out, every case answered
// 201 is stored, work whose client had gone before its hash is not done
// (so hardly a case more is stored than was answered), memory stays
// bounded, and the server takes a normal report right after.
func TestFloodIsShedAndNoAcceptedCaseLost(t *testing.T) {
	env := servertest.StartWith(t, behindProxy(map[string]string{
		"GEHOORD_REPORTS_PER_ADDRESS": "100000", "GEHOORD_REPORTS_PER_HOUR": "100000"}))
	body := jsonBody(t, report)
	const warm = 6
	start := time.Now()
	for i := range warm {
		if a := mustSend(t, env, "/api/v1/reports", "application/json", body, fmt.Sprintf("192.0.2.%d", i+1)); a.status != 201 {
			t.Fatalf("report %d: %d %s", i, a.status, a.body)
		}
	}
	each := time.Since(start) / warm
	sustainable := float64(runtime.NumCPU()) / each.Seconds()
	rate := 10 * sustainable
	n := min(int(rate*2), 1500) // two seconds of flood
	interval := time.Duration(float64(time.Second) / rate)

	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sysBefore := ms.Sys

	type outcome struct {
		impatient bool
		status    int
		retry     string
		ref       string
		err       error
	}
	var (
		mu   sync.Mutex
		outs []outcome
		wg   sync.WaitGroup
	)
	patient := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	impatient := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(interval)
	for i := range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, o := patient, outcome{}
			if i%2 == 1 {
				c, o.impatient = impatient, true
			}
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/reports", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			res, err := c.Do(req)
			if err == nil {
				var made struct{ Reference string }
				_ = json.NewDecoder(res.Body).Decode(&made)
				res.Body.Close()
				o.status, o.retry, o.ref = res.StatusCode, res.Header.Get("Retry-After"), made.Reference
			}
			o.err = err
			mu.Lock()
			outs = append(outs, o)
			mu.Unlock()
		}()
	}
	tick.Stop()
	wg.Wait()

	// Let the server finish what it took on (abandoned requests too).
	deadline := time.Now().Add(30 * time.Second)
	for {
		pw, h := env.Deps.PublicWork.Stats(), seal.Hashes.Stats()
		if pw.InFlight == 0 && pw.Waiting == 0 && h.InFlight == 0 && h.Waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server is still busy 30 s after the flood: %+v %+v", pw, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	runtime.ReadMemStats(&ms)
	growthMB := int64(ms.Sys-sysBefore) >> 20

	codes := map[int]int{}
	accepted := []string{}
	gaveUp, patientTimeouts := 0, 0
	for _, o := range outs {
		if o.err != nil {
			if o.impatient {
				gaveUp++
			} else {
				patientTimeouts++
			}
			continue
		}
		codes[o.status]++
		switch {
		case o.status == 201:
			accepted = append(accepted, o.ref)
		case o.status == 503 && o.retry != "":
		default:
			t.Errorf("answered %d (Retry-After %q); want only 201, or 503 with Retry-After", o.status, o.retry)
		}
	}
	stored, err := env.Deps.Store.C("cases").CountDocuments(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	stored -= warm
	found, err := env.Deps.Store.C("cases").CountDocuments(t.Context(), bson.M{"reference": bson.M{"$in": accepted}})
	if err != nil {
		t.Fatal(err)
	}
	pw, h := env.Deps.PublicWork.Stats(), seal.Hashes.Stats()
	t.Logf("one report %v, so %.0f/s sustainable; flood of %d at %.0f/s: answers %v, %d impatient gave up, %d patient timed out; "+
		"%d accepted, %d stored; gates: work %+v, hashes %+v; Go runtime +%d MB",
		each.Round(time.Millisecond), sustainable, n, rate, codes, gaveUp, patientTimeouts, len(accepted), stored, pw, h, growthMB)

	if int(found) != len(accepted) {
		t.Errorf("%d cases answered 201, only %d of them stored", len(accepted), found)
	}
	if patientTimeouts > 0 {
		t.Errorf("%d patient clients (15 s) got no answer; want 201 or 503 for every one", patientTimeouts)
	}
	// A case may still be made for a client that left after its hash
	// began (the case is made; resent, the same id gets the same
	// receipt): at most the work in flight, never the abandoned bulk.
	if slack := int64(env.Deps.PublicWork.Size()); stored > int64(len(accepted))+slack {
		t.Errorf("%d cases stored but %d answered: work of clients that had gone was done", stored, len(accepted))
	}
	if growthMB > 300 {
		t.Errorf("the Go runtime took %d MB more during the flood, want under 300 MB", growthMB)
	}
	a, err := send(&http.Client{Timeout: 5 * time.Second}, env, "/api/v1/reports", "application/json", body, "198.51.100.9")
	if err != nil || a.status != 201 {
		t.Fatalf("a normal report right after the flood: %v %d %s", errors.Unwrap(err), a.status, a.body)
	}
}
