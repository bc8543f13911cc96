// Package pushtest is a local push service for tests: one httptest TLS
// server per subscriber that does what a browser vendor's endpoint does.
// It verifies the VAPID Authorization header (ES256 JWT against the key in
// it, aud = the endpoint's origin, exp within 24 h, a sub that is mailto:
// or https: and not localhost), decrypts the body per RFC 8291 (aes128gcm)
// with the subscriber's own private key and auth secret, records what
// arrived, and answers as scripted (201 by default).
package pushtest

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// MaxBody is the largest encrypted body some push services accept.
const MaxBody = 3070

// Message is one request that reached the endpoint.
type Message struct {
	// Status is what the endpoint answered.
	Status int
	// Err says what was wrong with the request (nil when it was valid).
	Err error
	// Payload is the decrypted plaintext.
	Payload []byte
	TTL     int
	Urgency string
	Topic   string
	// BodySize is the length of the encrypted body.
	BodySize int
	Claims   Claims
	// VAPIDKey is the k= of the Authorization header (base64url).
	VAPIDKey string
	At       time.Time
}

// Subscriber is a browser's push subscription together with the push
// service endpoint it points at.
type Subscriber struct {
	Key    *ecdh.PrivateKey
	Auth   []byte
	Server *httptest.Server
	// Endpoint is the subscription's endpoint URL (https on loopback).
	Endpoint string

	// WantKey, when set, is the only VAPID public key accepted (base64url).
	WantKey string

	mu       sync.Mutex
	script   []int
	messages []Message
	arrived  chan struct{}
}

// NewSubscriber makes a key pair, an auth secret and a push endpoint; the
// server stops when the test ends.
func NewSubscriber(t testing.TB) *Subscriber {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	s := &Subscriber{Key: key, Auth: auth, arrived: make(chan struct{}, 1000)}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Server.Close)
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	s.Endpoint = s.Server.URL + "/push/" + base64.RawURLEncoding.EncodeToString(b)
	return s
}

// Client returns an HTTP client that trusts every local push service (all
// httptest TLS servers share one certificate).
func Client() *http.Client {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	srv.Close()
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		Timeout:   10 * time.Second,
	}
}

// P256dh is the subscriber's public key as browsers give it (base64url).
func (s *Subscriber) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(s.Key.PublicKey().Bytes())
}

// AuthSecret is the auth secret as browsers give it (base64url).
func (s *Subscriber) AuthSecret() string { return base64.RawURLEncoding.EncodeToString(s.Auth) }

// JSON is the PushSubscription JSON a browser's subscription.toJSON() gives.
func (s *Subscriber) JSON() []byte {
	b, _ := json.Marshal(map[string]any{
		"endpoint":       s.Endpoint,
		"expirationTime": nil,
		"keys":           map[string]string{"p256dh": s.P256dh(), "auth": s.AuthSecret()},
	})
	return b
}

// Script sets the answers to the next requests in order (e.g. 500, 201);
// after the script runs out the endpoint answers 201.
func (s *Subscriber) Script(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, codes...)
}

// Requests returns every request that arrived, valid or not.
func (s *Subscriber) Requests() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Delivered returns the valid messages the endpoint accepted (2xx).
func (s *Subscriber) Delivered() []Message {
	var out []Message
	for _, m := range s.Requests() {
		if m.Err == nil && m.Status >= 200 && m.Status < 300 {
			out = append(out, m)
		}
	}
	return out
}

// Errors returns what was wrong with invalid requests.
func (s *Subscriber) Errors() []error {
	var out []error
	for _, m := range s.Requests() {
		if m.Err != nil {
			out = append(out, m.Err)
		}
	}
	return out
}

// WaitDelivered waits until n messages were accepted or the timeout ends,
// and returns what was accepted.
func (s *Subscriber) WaitDelivered(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		if d := s.Delivered(); len(d) >= n {
			return d
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Delivered()
		}
	}
}

func (s *Subscriber) serve(w http.ResponseWriter, r *http.Request) {
	m := Message{At: time.Now(), Urgency: r.Header.Get("Urgency"), Topic: r.Header.Get("Topic")}
	m.Err = s.check(r, &m)
	s.mu.Lock()
	status := http.StatusCreated
	switch {
	case m.Err != nil:
		status = http.StatusBadRequest
		if _, ok := m.Err.(authError); ok {
			status = http.StatusUnauthorized
		}
	case len(s.script) > 0:
		status, s.script = s.script[0], s.script[1:]
	}
	m.Status = status
	s.messages = append(s.messages, m)
	n := len(s.messages) // read under the lock: requests arrive in parallel
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", s.Endpoint+"/m/"+strconv.Itoa(n))
	}
	w.WriteHeader(status)
}

type authError struct{ error }

func (s *Subscriber) check(r *http.Request, m *Message) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s, want POST", r.Method)
	}
	if r.URL.String() != s.Endpoint[len(s.Server.URL):] {
		return fmt.Errorf("path %s is not the subscription's", r.URL)
	}
	ttl, err := strconv.Atoi(r.Header.Get("TTL"))
	if err != nil || ttl < 0 {
		return fmt.Errorf("TTL header %q missing or invalid", r.Header.Get("TTL"))
	}
	m.TTL = ttl
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return fmt.Errorf("Content-Encoding %q, want aes128gcm", ce)
	}
	switch m.Urgency {
	case "", "very-low", "low", "normal", "high":
	default:
		return fmt.Errorf("header Urgency %q invalid", m.Urgency)
	}
	if err := checkTopic(m.Topic); err != nil {
		return err
	}
	claims, key, err := VerifyVAPID(r.Header.Get("Authorization"), s.Server.URL, time.Now())
	if err != nil {
		return authError{err}
	}
	if s.WantKey != "" && key != s.WantKey {
		return authError{fmt.Errorf("VAPID key %s is not the one the browser subscribed with", key)}
	}
	m.Claims, m.VAPIDKey = claims, key
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	m.BodySize = len(body)
	if len(body) > MaxBody {
		return fmt.Errorf("body of %d bytes is over %d", len(body), MaxBody)
	}
	plain, err := Decrypt(s.Key, s.Auth, body)
	if err != nil {
		return err
	}
	m.Payload = plain
	return nil
}

func checkTopic(t string) error {
	if t == "" {
		return nil
	}
	if len(t) > 32 {
		return fmt.Errorf("header Topic %q longer than 32 characters", t)
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("header Topic %q has a character outside base64url", t)
		}
	}
	return nil
}
