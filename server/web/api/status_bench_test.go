package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/seal/hashbench"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// BenchmarkStatusLookup: POST /api/v1/status over real HTTP on loopback,
// with 3,000 older cases in the database (stored straight into it, as
// cases from before receipts had their own look-up documents), for a
// receipt made through the API (new), a receipt of an older case (old)
// and a well-formed receipt that opens nothing (miss), then the same after
// a flood of misses from other addresses (the rate limit's collection
// holds 10,000 attempts). The server is
// started again after the older cases were stored, as after an upgrade. Every look-up
// costs one receipt hash by design; cpu-ms/op is the whole process's CPU
// (server, embedded database and client) per look-up, to set against
// hash-cpu-ms, because on a shared machine the wall clock measures the
// neighbours.
//
//	go test -run '^$' -bench StatusLookup -benchtime 100x ./server/web/api/
func BenchmarkStatusLookup(b *testing.B) {
	opts := servertest.Options{DBName: storetest.DBName(), SecretKey: servertest.NewKey(),
		Env: map[string]string{"GEHOORD_TRUSTED_PROXIES": "127.0.0.1"}}
	first := servertest.StartWith(b, opts)
	seedOld(b, first, 3000)
	oldReceipts := seedOldWithReceipts(b, first, 20)
	first.Stop()
	// Started again on the same database, as after an upgrade: the older
	// cases get their receipt documents at start (untimed).
	t0 := time.Now()
	env := servertest.StartWith(b, opts)
	b.Logf("second start: %v", time.Since(t0).Round(time.Millisecond))
	var newReceipts []string
	for i := range 20 {
		body, _ := json.Marshal(report(fmt.Sprintf("Benchmark %d: de bank sloot mijn rekening", i)))
		res, err := http.Post(env.URL+"/api/v1/reports", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Receipt string }
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != 201 {
			b.Fatalf("report: %d", res.StatusCode)
		}
		newReceipts = append(newReceipts, out.Receipt)
	}
	b.Logf("setup done: %d cases", 3000+len(oldReceipts)+len(newReceipts))
	hash := hashCPU(env)
	client := &http.Client{}
	n := 0
	lookUp := func(b *testing.B, receipt string, want int) {
		n++
		body, _ := json.Marshal(map[string]string{"receipt": receipt})
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/status", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		// Each look-up from its own address: misses count per address.
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("status %d, want %d", res.StatusCode, want)
		}
	}
	for _, bc := range []struct {
		name string
		next func(i int) string
		want int
	}{
		{"new", func(i int) string { return newReceipts[i%len(newReceipts)] }, 200},
		{"old", func(i int) string { return oldReceipts[i%len(oldReceipts)] }, 200},
		{"miss", func(i int) string { return cases.WithCheckDigit(fmt.Sprintf("%015d", 7_000_000_000+i)) }, 404},
		// After a flood from 1,000 addresses, each at its 10 misses: the
		// rate limit's 10,000 standing attempts.
		{"miss_after_flood", func(i int) string { return cases.WithCheckDigit(fmt.Sprintf("%015d", 8_000_000_000+i)) }, 404},
		{"new_after_flood", func(i int) string { return newReceipts[i%len(newReceipts)] }, 200},
	} {
		if bc.name == "miss_after_flood" {
			seedMisses(b, env, 10000)
		}
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := hashbench.CPU()
			b.ResetTimer()
			for i := range b.N {
				lookUp(b, bc.next(i), bc.want)
			}
			b.StopTimer()
			per := (hashbench.CPU() - cpu0) / time.Duration(b.N)
			b.ReportMetric(float64(per)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(hash)/1e6, "hash-cpu-ms")
		})
	}
}

// seedMisses stores n standing attempts of other clients in the rate
// limit's collection, as documents of the shape either version reads
// (an _id, the key, the end of the window).
func seedMisses(b *testing.B, env *servertest.Env, n int) {
	b.Helper()
	end := time.Now().Add(time.Hour)
	var docs []any
	for i := range n {
		docs = append(docs, map[string]any{"_id": fmt.Sprintf("flood%06d.%d", i/10, i%10+1), "k": fmt.Sprintf("flood%06d", i/10), "expires": end})
	}
	for len(docs) > 0 {
		k := min(len(docs), 1000)
		if err := env.Deps.Store.InsertAll(b.Context(), "rate_limits", docs[:k]); err != nil {
			b.Fatal(err)
		}
		docs = docs[k:]
	}
}

// seedOld stores n closed cases straight into the database, without
// receipt look-up documents, as older cases are.
func seedOld(b *testing.B, env *servertest.Env, n int) {
	b.Helper()
	var docs []any
	for i := range n {
		rh := make([]byte, 32)
		_, _ = rand.Read(rh)
		docs = append(docs, oldCase(env, i, rh))
	}
	for len(docs) > 0 {
		k := min(len(docs), 1000)
		if err := env.Deps.Store.InsertAll(b.Context(), "cases", docs[:k]); err != nil {
			b.Fatal(err)
		}
		docs = docs[k:]
	}
}

// seedOldWithReceipts stores n older cases whose receipts are known.
func seedOldWithReceipts(b *testing.B, env *servertest.Env, n int) []string {
	b.Helper()
	var out []string
	var docs []any
	for i := range n {
		r, err := cases.NewReceipt()
		if err != nil {
			b.Fatal(err)
		}
		h, err := env.Deps.Sealer.ReceiptHash(b.Context(), r)
		if err != nil {
			b.Fatal(err)
		}
		c := oldCase(env, 100_000+i, h)
		c.ReceiptChecked = true
		docs = append(docs, c)
		out = append(out, r)
	}
	if err := env.Deps.Store.InsertAll(b.Context(), "cases", docs); err != nil {
		b.Fatal(err)
	}
	return out
}

func oldCase(env *servertest.Env, i int, receiptHash []byte) *cases.Case {
	id := uuid.NewString()
	at := time.Now().UTC().Add(-time.Duration(i+1) * time.Hour)
	svc := env.Deps.Cases
	d := cases.ComputeDeadlines(at)
	d.AckSent = at
	return &cases.Case{ID: id, ClientID: id, ReceiptHash: receiptHash, ReceiptChecked: true,
		Reference: fmt.Sprintf("GH-%d-9%05d", at.Year(), i), CreatedAt: at, UpdatedAt: at, LastActivity: at,
		Kind: "complaint", Category: cases.Categories[i%len(cases.Categories)].ID, Group: "business", Municipality: "0363",
		Wish: "handle", IdentityMode: "anonymous", Language: "nl", Channel: string(cases.ChannelWeb),
		State: cases.StateClosed, ClosedAt: at.Add(time.Hour), Outcome: cases.OutcomeResolved, Deadlines: d, Themes: []string{},
		Description: svc.Seal(id, "description", "De bank sloot mijn rekening zonder reden, na jaren."),
	}
}

// hashCPU is the median CPU time of one receipt hash, measured in this
// process before the look-ups (nothing else runs then).
func hashCPU(env *servertest.Env) time.Duration {
	var ts []time.Duration
	for range 9 {
		c0 := hashbench.CPU()
		_, _ = env.Deps.Sealer.ReceiptHash(context.Background(), "1234567890123452")
		ts = append(ts, hashbench.CPU()-c0)
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}
