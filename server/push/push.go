// Package push sends Web Push notifications to staff devices: VAPID keys
// shared by every instance through the database, subscriptions per user
// and device, a preference per user, and a durable job queue that a sender
// loop works, so a restart loses nothing and two instances never send the
// same job twice.
//
// A notification carries no content: only an event type, an opaque case id
// and the language the staff member reads. Lock screens are public.
package push

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/group"
)

// Collections.
const (
	collKeys  = "push_keys"
	collSubs  = "push_subscriptions"
	collPrefs = "push_preferences"
	collJobs  = "push_jobs"
	// collClaims holds one token per job attempt; its unique _id is the claim.
	collClaims = "push_claims"
)

// Event types, as they appear in the payload.
const (
	TypeCaseNew    = "case.new"
	TypeCaseReply  = "case.reply"
	TypeCaseReopen = "case.reopen"
	// TypeCaseAssigned: a case was given to the person who hears of it.
	TypeCaseAssigned = "case.assigned"
	// TypeCaseClosedReply: she wrote on a closed case.
	TypeCaseClosedReply = "case.closed_reply"
	TypeSummary         = "summary"
)

// Sending options (see docs/push.md).
const (
	// TTL keeps a message at the push service for a day, so a phone that is
	// off tonight still hears of it tomorrow morning (0 would drop it).
	TTL = 24 * time.Hour
	// RecordSize is webpush-go's Options.RecordSize. In webpush-go v1.4 the
	// whole request body is exactly RecordSize bytes: the 86-byte header
	// (salt 16, rs 4, idlen 1, key 65) plus the padded plaintext plus the
	// 16-byte tag. 2048 keeps the body far under the 3070 bytes some push
	// services accept, leaves ~1900 bytes for a payload of ~60, and pads
	// every message to one size so its length says nothing.
	RecordSize = 2048
	// GiveUpAfter ends retries of a job that could not be delivered.
	GiveUpAfter = 24 * time.Hour
)

// Errors callers map to answers.
var (
	// ErrInvalid: a subscription or preference that cannot be accepted;
	// Validate ties it to the field at fault (errInvalidField).
	ErrInvalid = fault.New(fault.Invalid, "error.invalid", "push: invalid subscription")
	// ErrNotFound: no such subscription for this user.
	ErrNotFound = fault.New(fault.NotFound, "push.error.not_found", "push: no such subscription")
	// ErrTooMany: the user has too many devices. Answered 422 like the
	// other refusals: the request is fine, this subscription is not taken.
	ErrTooMany = fault.New(fault.Invalid, "push.error.too_many", "push: too many devices")
)

// errInvalidField is ErrInvalid naming the subscription field at fault,
// so the page can say which without reading the message.
func errInvalidField(field string) error {
	e := ErrInvalid.With()
	e.Fields = []fault.Field{{Field: field, Key: "push.error.invalid"}}
	return e
}

var ()

// Config holds what the service needs. Store and Sealer are required.
type Config struct {
	Store  *store.Store
	Sealer *seal.Sealer
	Logger *slog.Logger
	// Contact is GEHOORD_PUSH_CONTACT (mailto: or https:).
	Contact string
	// PublicURL is used as the contact when Contact is empty and it is https.
	PublicURL string
	// Directory lists the staff who may be notified.
	Directory Directory
	// Agenda counts due and overdue cases for the morning summary; nil
	// asks the cases' queries on Store.
	Agenda Agenda
	Now    func() time.Time

	// HTTPClient sends to the push services (tests give one that trusts
	// their local push service). Its transport, if any, must be an
	// *http.Transport: the service dials through it with its own address
	// check, no proxy and no redirects.
	HTTPClient *http.Client
	// Backoff is the wait before retry n (1, 2, …); nil is exponential from
	// 30 s, at most one hour.
	Backoff func(attempt int) time.Duration
	// PollInterval is how often the sender looks for due jobs (default 2 s;
	// a local enqueue wakes it at once).
	PollInterval time.Duration
	// Lease is how long a claimed job belongs to its sender before another
	// instance may take it again (default 2 min, more than a request takes).
	Lease time.Duration
	// SummaryAt is the local time of the morning summary (default 07:30
	// Europe/Amsterdam); SummaryEnabled false turns the ticker off.
	SummaryHour, SummaryMinute int
	DisableSummary             bool
	// AllowHTTP accepts http:// endpoints (tests only).
	AllowHTTP bool
	// Hosts are the push services' host names an endpoint may point at
	// ("*.push.apple.com" for any subdomain); nil is DefaultHosts.
	Hosts []string
	// AllowLoopback accepts endpoints on loopback addresses and connects
	// to them (tests only: pushtest's local push services).
	AllowLoopback bool
}

// Service is the push domain.
type Service struct {
	cfg     Config
	st      *store.Store
	seal    *seal.Sealer
	log     *slog.Logger
	now     func() time.Time
	client  atomic.Pointer[http.Client]
	hosts   []string
	owner   string
	subject string

	keyMu sync.Mutex
	keys  *vapidKeys

	// staff is who may hear of an event and what each chose: read once
	// for the events of many requests at once (group.Shared).
	staff *group.Shared[staffNow]

	wake    chan struct{}
	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// New builds the service; it touches the database only on first use or in
// Start.
func New(c Config) (*Service, error) {
	if c.Store == nil || c.Sealer == nil {
		return nil, errors.New("push: Store and Sealer are required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.SummaryHour == 0 && c.SummaryMinute == 0 {
		c.SummaryHour, c.SummaryMinute = 7, 30
	}
	if c.Agenda == nil {
		c.Agenda = cases.NewQueries(c.Store)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := &Service{
		cfg: c, st: c.Store, seal: c.Sealer, log: c.Logger, now: c.Now,
		owner: hex.EncodeToString(b),
		wake:  make(chan struct{}, 1),
	}
	s.staff = group.NewShared(s.readStaff)
	if c.Hosts == nil {
		c.Hosts = DefaultHosts
	}
	for _, h := range c.Hosts {
		s.hosts = append(s.hosts, normHost(strings.TrimSpace(h)))
	}
	if err := s.SetHTTPClient(c.HTTPClient); err != nil {
		return nil, err
	}
	sub, warn := ResolveContact(c.Contact, c.PublicURL)
	if warn != "" {
		s.log.Warn(warn)
	}
	s.subject = sub
	return s, nil
}

// DefaultBackoff waits 30 s, 1 min, 2 min, … up to one hour.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// SetHTTPClient changes the client that talks to push services (server
// tests point it at their local push service); it is used guarded like
// Config.HTTPClient.
func (s *Service) SetHTTPClient(c *http.Client) error {
	g, err := s.guarded(c)
	if err != nil {
		return err
	}
	s.client.Store(g)
	return nil
}

// Subject is the VAPID contact this service signs with.
func (s *Service) Subject() string { return s.subject }

// Init creates the indexes and the VAPID keys (once for all instances).
func (s *Service) Init(ctx context.Context) error {
	if err := s.st.EnsureIndexes(ctx, Indexes()...); err != nil {
		return err
	}
	_, err := s.vapid(ctx)
	return err
}

// Start runs the sender loop and the summary ticker until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := s.Init(ctx); err != nil {
		return err
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.started {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done, s.started = cancel, make(chan struct{}), true
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.senderLoop(ctx) }()
	go func() { defer wg.Done(); s.summaryLoop(ctx) }()
	go func() { wg.Wait(); close(s.done) }()
	return nil
}

// Stop ends the loops and waits for a send in progress to finish.
func (s *Service) Stop() {
	s.runMu.Lock()
	cancel, done := s.cancel, s.done
	s.started = false
	s.cancel = nil
	s.runMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// poke wakes the local sender after an enqueue.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
