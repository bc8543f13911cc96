package public_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/servertest"
)

// BenchmarkCreateCaseForm posts the intake form (JavaScript off) and
// follows the redirect to the receipt page, on the embedded database over
// real HTTP.
func BenchmarkCreateCaseForm(b *testing.B) {
	env := servertest.Start(b)
	client := &http.Client{}
	form := fill(url.Values{})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// Each form carries its own id, signed by the desk.
		id := uuid.NewString()
		form.Set("id", id)
		form.Set("token", env.Deps.PublicViews.FormToken(id))
		res, err := client.Post(env.URL+"/nl/report", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkIntakePage renders the empty intake form.
func BenchmarkIntakePage(b *testing.B) {
	env := servertest.Start(b)
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := client.Get(env.URL + "/nl/report")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkHomePage serves the home page, the first page a card's
// visitor loads.
func BenchmarkHomePage(b *testing.B) {
	env := servertest.Start(b)
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := client.Get(env.URL + "/nl/")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
