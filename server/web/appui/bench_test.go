package appui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/seal/hashbench"
	"github.com/gehoord/gehoord/server/servertest"
)

// BenchmarkSync500 sends a full batch of 500 new reports from one tablet,
// as after a long round offline, over real HTTP on the embedded database,
// and reports the reports per second beside the receipt-hash bound (cores
// ÷ one receipt hash, measured in the same run): every report costs one
// receipt hash, so the bound is what the machine can do at best. Beside
// it, "%alone": against receipt hashes made one per core at once with
// nothing else running, which share the memory and so reach less than
// the bound. On a shared machine the wall clock says more about the
// neighbours than about the desk, so it also reports the CPU time per
// report against the CPU time of one hash ("%cpu-bound").
//
//	go test -run '^$' -bench Sync500 -benchtime 3x ./server/web/appui/
func BenchmarkSync500(b *testing.B) {
	// Before the server runs: its CPU time is the hash's alone.
	wall, cpu := hashbench.One()
	alone := hashbench.AtOnce(runtime.NumCPU(), 3*time.Second)
	env := servertest.Start(b)
	_, token, err := env.Deps.Devices.Create(context.Background(), "u1", "bench tablet")
	if err != nil {
		b.Fatal(err)
	}
	bound := float64(runtime.NumCPU()) / wall.Seconds()
	items := 0
	cpu0 := hashbench.CPU()
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
	perReport := (hashbench.CPU() - cpu0) / time.Duration(items)
	rate := float64(items) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "reports/s")
	b.ReportMetric(bound, "bound/s")
	b.ReportMetric(100*rate/bound, "%bound")
	b.ReportMetric(100*rate/alone, "%alone")
	b.ReportMetric(float64(perReport)/1e6, "cpu-ms/report")
	b.ReportMetric(100*float64(cpu)/float64(perReport), "%cpu-bound")
	b.Logf("500 reports in %.1f s: %.1f reports/s = %.0f%% of the receipt-hash bound %.1f/s, %.0f%% of hashes alone (%.1f/s); "+
		"CPU %.1f ms per report, one hash %.1f ms = %.0f%%",
		b.Elapsed().Seconds()/float64(b.N), rate, 100*rate/bound, bound, 100*rate/alone, alone,
		ms(perReport), ms(cpu), 100*float64(cpu)/float64(perReport))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
