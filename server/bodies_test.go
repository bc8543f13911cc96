package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
)

// rawPost opens a connection and sends only the header of a POST that
// announces length bytes of body (or, with length < 0, a chunked one).
func rawPost(t *testing.T, env *servertest.Env, path, contentType string, length int, extra string) net.Conn {
	t.Helper()
	conn, err := dialPost(env, path, contentType, length, extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialPost is rawPost that returns its error (for goroutines other than
// the test's) and leaves closing the connection to the caller.
func dialPost(env *servertest.Env, path, contentType string, length int, extra string) (net.Conn, error) {
	conn, err := net.Dial("tcp", env.Addr)
	if err != nil {
		return nil, err
	}
	te := fmt.Sprintf("Content-Length: %d\r\n", length)
	if length < 0 {
		te = "Transfer-Encoding: chunked\r\n"
	}
	if _, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%s%s\r\n", path, env.Addr, contentType, te, extra); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// readAnswer reads one response from conn within wait.
func readAnswer(conn net.Conn, wait time.Duration) (*http.Response, []byte, error) {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// TestBodiesRefusedBeforeReading: a body over its route's limit is refused
// by its Content-Length, before any of it is sent (here: none is), with a
// 413 the client understands — a page in her language on the public
// pages, problem+json on the API. Before, the server waited to read all
// 15 MB and only then judged it.
func TestBodiesRefusedBeforeReading(t *testing.T) {
	env := servertest.Start(t)
	for _, c := range []struct {
		path, ctype string
		length      int
		want        string
	}{
		{"/nl/report", formType, 15 << 20, "Dit is te groot om te versturen."},
		{"/en/status", formType, 200 << 10, "This is too large to send."},
		{"/api/v1/reports", "application/json", 15 << 20, `"status":413`},
		{"/api/v1/status", "application/json", 65<<10 + 1, `"status":413`},
		{"/api/v1/outreach/sync", "application/json", 9 << 20, `"status":413`},
		{"/staff/signin", formType, 15 << 20, "Dit is te groot om te versturen."},
	} {
		conn := rawPost(t, env, c.path, c.ctype, c.length, "")
		res, body, err := readAnswer(conn, 5*time.Second)
		if err != nil {
			t.Fatalf("POST %s announcing %d bytes, none sent: no answer (%v): the server waits to read the body", c.path, c.length, err)
		}
		if res.StatusCode != 413 || !bytes.Contains(body, []byte(c.want)) {
			t.Fatalf("POST %s announcing %d bytes: %d, want 413 with %q:\n%.300s", c.path, c.length, res.StatusCode, c.want, body)
		}
	}

	// "Expect: 100-continue": refused without asking for the body.
	conn := rawPost(t, env, "/api/v1/reports", "application/json", 1<<20, "Expect: 100-continue\r\n")
	if res, _, err := readAnswer(conn, 5*time.Second); err != nil || res.StatusCode != 413 {
		t.Fatalf("Expect: 100-continue with 1 MB: %v %v, want 413 before the body", res, err)
	}

	// A chunked body is cut off once it passes the limit: sent slowly,
	// 16 KiB at a time, the answer comes long before 1 MB.
	conn = rawPost(t, env, "/api/v1/reports", "application/json", -1, "")
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 16<<10, strings.Repeat("x", 16<<10))
	sent := 0
	var res *http.Response
	var body []byte
	for sent < 1<<20 {
		if _, err := io.WriteString(conn, chunk); err != nil {
			break // the server closed it: read its answer
		}
		sent += 16 << 10
		var err error
		if res, body, err = readAnswer(conn, 30*time.Millisecond); err == nil {
			break
		}
	}
	if res == nil {
		res, body, _ = readAnswer(conn, 2*time.Second)
	}
	if res == nil || res.StatusCode != 413 || !bytes.Contains(body, []byte(`"status":413`)) {
		t.Fatalf("chunked body of %d KiB: %v, want 413", sent>>10, res)
	}
	if sent > 256<<10 {
		t.Fatalf("the chunked body was refused only after %d KiB, want soon after 64 KiB", sent>>10)
	}

	// Within the limits all is as before.
	if a := mustSend(t, env, "/api/v1/reports", "application/json", jsonBody(t, report), ""); a.status != 201 {
		t.Fatalf("an ordinary report: %d %s", a.status, a.body)
	}
}

// TestLargeBodiesKeepMemoryBounded: 64 clients at once each send a 15 MB
// body (half announced, half chunked) to the public form, the API and the
// sync. Before, the server read every one of them whole (resident memory
// went from 81 MB to 3 GB); now each is refused within its route's limit
// and the Go runtime's memory stays within a few megabytes per client.
func TestLargeBodiesKeepMemoryBounded(t *testing.T) {
	env := servertest.Start(t)
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Sys

	const clients, size = 64, 15 << 20
	paths := []string{"/nl/report", "/api/v1/reports", "/api/v1/outreach/sync", "/en/status"}
	block := bytes.Repeat([]byte("a"), 64<<10)
	chunk := append(append([]byte(fmt.Sprintf("%x\r\n", len(block))), block...), "\r\n"...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := paths[i%len(paths)]
			length := size
			if i%2 == 1 {
				length = -1
			}
			conn, err := dialPost(env, path, formType, length, "")
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			done := make(chan int, 1)
			go func() {
				res, _, err := readAnswer(conn, 60*time.Second)
				if err != nil {
					done <- 0
					return
				}
				done <- res.StatusCode
			}()
			for sent := 0; sent < size; sent += len(block) {
				var err error
				if length < 0 {
					_, err = conn.Write(chunk)
				} else {
					_, err = conn.Write(block)
				}
				if err != nil {
					break
				}
			}
			if length < 0 {
				_, _ = io.WriteString(conn, "0\r\n\r\n")
			}
			code := <-done
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&ms)
	growth := int64(ms.Sys-before) >> 20
	t.Logf("%d bodies of %d MB: answers %v; Go runtime +%d MB", clients, size>>20, codes, growth)
	if codes[413] < clients*3/4 {
		t.Errorf("only %d of %d oversized bodies were answered 413 (%v)", codes[413], clients, codes)
	}
	for code := range codes {
		if code >= 500 {
			t.Errorf("%d bodies answered %d", codes[code], code)
		}
	}
	if growth > 150 {
		t.Fatalf("the Go runtime took %d MB more for %d refused 15 MB bodies, want under 150 MB", growth, clients)
	}
}

// TestInvalidFormEchoesNoMoreThanFieldMax: a form that fails validation
// comes back with what she typed, but never more of a field than the field
// may hold (before, a 10 MB post came back as a 10 MB page).
func TestInvalidFormEchoesNoMoreThanFieldMax(t *testing.T) {
	env := servertest.Start(t)
	f := reportForm(env, strings.Repeat("b", 100<<10))
	f.Set("kind", "nonsense")
	f.Set("about", strings.Repeat("c", 20<<10))
	a := mustSend(t, env, "/nl/report", formType, []byte(f.Encode()), "")
	if a.status != 422 {
		t.Fatalf("invalid form: %d", a.status)
	}
	if bytes.Contains(a.body, []byte(strings.Repeat("b", cases.MaxDescription+1))) {
		t.Errorf("the page echoes more of the description than its %d characters", cases.MaxDescription)
	}
	if bytes.Contains(a.body, []byte(strings.Repeat("c", cases.MaxShort+1))) {
		t.Errorf("the page echoes more of a short field than its %d characters", cases.MaxShort)
	}
	if len(a.body) > 200<<10 {
		t.Errorf("the 422 page is %d KB", len(a.body)>>10)
	}
}
