package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/servertest"
)

// BenchmarkCreateCaseAPI creates cases through POST /api/v1/reports on the
// embedded database over real HTTP. Most of the time is the receipt's
// argon2id hash (by design: it makes guessing receipts from a stolen
// database slow).
func BenchmarkCreateCaseAPI(b *testing.B) {
	env := servertest.Start(b)
	client := &http.Client{}
	base := report("Benchmark: de bank sloot mijn rekening")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		base["id"] = uuid.NewString()
		body, _ := json.Marshal(base)
		res, err := client.Post(env.URL+"/api/v1/reports", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}
