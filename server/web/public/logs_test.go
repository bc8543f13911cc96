package public_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoPersonalDataInLogs walks her whole path with the log at debug and
// finds no address, user agent, card code, receipt or anything she typed.
func TestNoPersonalDataInLogs(t *testing.T) {
	var logs syncBuffer
	env := servertest.StartWith(t, servertest.Options{Log: &logs, LogLevel: slog.LevelDebug})
	const ua = "UA-MARKER-Nokia-2.3"
	get := func(p string) {
		req, _ := http.NewRequest("GET", env.URL+p, nil)
		req.Header.Set("User-Agent", ua)
		res, err := servertest.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	get("/c/CARDMARK")
	get("/nl/report?card=CARDMARK")
	form := fill(openForm(t, env, "/nl/report"))
	form.Set("description", "Geheimverhaal over Pieterstraat")
	form.Set("name", "Naammarker")
	form.Set("contact", "0612398765")
	r := submit(t, env, "/nl/report", form)
	receipt := receiptOf(t, r)
	replyOn(t, env, submit(t, env, "/nl/status", url.Values{"receipt": {receipt}}), "Antwoordmarker")
	submit(t, env, "/nl/status", url.Values{"receipt": {"1234123412341234"}})
	env.PostJSON(t, "/api/v1/reports", `{"broken":`)
	out := logs.String()
	if !strings.Contains(out, "route=") {
		t.Fatalf("no request lines logged at debug; the test proves nothing:\n%s", out)
	}
	for _, secret := range []string{"127.0.0.1", ua, "CARDMARK", receipt, "1234123412341234", "Geheimverhaal", "Pieterstraat", "Naammarker", "0612398765", "Antwoordmarker"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}
