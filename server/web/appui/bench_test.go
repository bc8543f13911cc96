package appui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
)

// BenchmarkSync500 sends a full batch of 500 new reports from one tablet,
// as after a long round offline, over real HTTP on the embedded database,
// and reports the reports per second beside the receipt-hash bound (cores
// ÷ one receipt hash, measured in the same run): every report costs one
// receipt hash, so the bound is what the machine can do at best. On a
// shared machine the wall clock says more about the neighbours than about
// the desk, so it also reports the CPU time per report against the CPU
// time of one hash ("%cpu-bound"): the ratio the desk reaches when the
// cores are its own.
//
//	go test -run '^$' -bench Sync500 -benchtime 3x ./server/web/appui/
func BenchmarkSync500(b *testing.B) {
	wall, cpu := hashTime() // before the server runs: its CPU time is the hash's alone
	env := servertest.Start(b)
	_, token, err := env.Deps.Devices.Create(context.Background(), "u1", "bench tablet")
	if err != nil {
		b.Fatal(err)
	}
	bound := float64(runtime.NumCPU()) / wall.Seconds()
	items := 0
	cpu0 := processCPU()
	b.ResetTimer()
	for range b.N {
		batch, _ := json.Marshal(map[string]any{"reports": reports(500)})
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/outreach/sync", bytes.NewReader(batch))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out syncResp
		if res.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
			b.Fatalf("sync: %d %.300s", res.StatusCode, body)
		}
		for _, r := range out.Results {
			if r.Result != "created" {
				b.Fatalf("item %s: %s %v", r.ID, r.Result, r.Errors)
			}
		}
		items += len(out.Results)
	}
	b.StopTimer()
	perReport := (processCPU() - cpu0) / time.Duration(items)
	rate := float64(items) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "reports/s")
	b.ReportMetric(bound, "bound/s")
	b.ReportMetric(100*rate/bound, "%bound")
	b.ReportMetric(float64(perReport)/1e6, "cpu-ms/report")
	b.ReportMetric(100*float64(cpu)/float64(perReport), "%cpu-bound")
	b.Logf("500 reports in %.1f s: %.1f reports/s = %.0f%% of the receipt-hash bound %.1f/s; "+
		"CPU %.1f ms per report, one hash %.1f ms = %.0f%%",
		b.Elapsed().Seconds()/float64(b.N), rate, 100*rate/bound, bound, ms(perReport), ms(cpu), 100*float64(cpu)/float64(perReport))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// processCPU is the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hashTime is the median wall and CPU time of one receipt hash, made as
// the server makes it (seal.ReceiptHash, with a throw-away key).
func hashTime() (wall, cpu time.Duration) {
	s, err := seal.New(make([]byte, 32))
	if err != nil {
		panic(err)
	}
	var w, c []time.Duration
	for i := range 9 {
		t0, c0 := time.Now(), processCPU()
		if _, err := s.ReceiptHash(context.Background(), fmt.Sprintf("%016d", i)); err != nil {
			panic(err)
		}
		w, c = append(w, time.Since(t0)), append(c, processCPU()-c0)
	}
	slices.Sort(w)
	slices.Sort(c)
	return w[len(w)/2], c[len(c)/2]
}
