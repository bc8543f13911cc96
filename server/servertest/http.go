package servertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Response is a read response.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v: %s", r.Request.URL, err, r.Body)
	}
}

func (e *Env) do(t testing.TB, req *http.Request) Response {
	t.Helper()
	r, err := e.try(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *Env) try(req *http.Request) (Response, error) {
	res, err := e.HTTPClient().Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("read %s: %w", req.URL, err)
	}
	return Response{Response: res, Body: b}, nil
}

// Get fetches path from the server.
func (e *Env) Get(t testing.TB, path string, header ...string) Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

// PostJSON posts v (a string is sent as is) to path.
func (e *Env) PostJSON(t testing.TB, path string, v any, header ...string) Response {
	t.Helper()
	r, err := e.SendJSON(path, v, header...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// SendJSON is PostJSON that returns its error: for goroutines other than
// the test's own, which must not call t.Fatal.
func (e *Env) SendJSON(path string, v any, header ...string) (Response, error) {
	var body []byte
	switch b := v.(type) {
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			return Response{}, err
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.try(req)
}

// PostForm posts form fields to path.
func (e *Env) PostForm(t testing.TB, path string, form url.Values) Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(t, req)
}
