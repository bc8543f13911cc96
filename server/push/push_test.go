package push_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

var ctx = context.Background()

// staff is a fixed directory for the tests.
type staff []push.Person

func (s staff) Active(context.Context) ([]push.Person, error) { return s, nil }

var team = staff{
	{ID: "coord", Role: push.RoleCoordinator, Lang: "nl"},
	{ID: "hand1", Role: push.RoleHandler, Lang: "en"},
	{ID: "hand2", Role: push.RoleHandler, Lang: "nl"},
	{ID: "admin", Role: push.RoleAdmin, Lang: "nl"},
	{ID: "field", Role: push.RoleOutreach, Lang: "nl"},
	{ID: "gone", Role: push.RoleCoordinator, Lang: "nl", Disabled: true},
}

func sealer(t *testing.T) *seal.Sealer {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	s, err := seal.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type env struct {
	st   *store.Store
	seal *seal.Sealer
}

func newEnv(t *testing.T) *env { return &env{st: storetest.New(t), seal: sealer(t)} }

func (e *env) service(t *testing.T, mods ...func(*push.Config)) *push.Service {
	t.Helper()
	c := push.Config{
		Store: e.st, Sealer: e.seal, Directory: team,
		Contact:    "mailto:desk@gehoord.example",
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		HTTPClient: pushtest.Client(),
		Backoff:    func(int) time.Duration { return 0 },
		// Tests drive the sender themselves unless they Start it.
		PollInterval:   20 * time.Millisecond,
		DisableSummary: true,
		// pushtest's push services are on loopback.
		AllowLoopback: true,
	}
	for _, m := range mods {
		m(&c)
	}
	s, err := push.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func subscribe(t *testing.T, s *push.Service, user string) *pushtest.Subscriber {
	t.Helper()
	sub := pushtest.NewSubscriber(t)
	key, err := s.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub.WantKey = key
	var in push.Input
	if err := json.Unmarshal(sub.JSON(), &in); err != nil {
		t.Fatal(err)
	}
	in.Label = "phone of " + user
	if _, err := s.Subscribe(ctx, user, in); err != nil {
		t.Fatal(err)
	}
	return sub
}

func payload(t *testing.T, m pushtest.Message) push.Payload {
	t.Helper()
	var p push.Payload
	dec := json.NewDecoder(strings.NewReader(string(m.Payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("payload %q: %v", m.Payload, err)
	}
	return p
}

func noErrors(t *testing.T, subs ...*pushtest.Subscriber) {
	t.Helper()
	for _, s := range subs {
		for _, err := range s.Errors() {
			t.Errorf("push service rejected a request: %v", err)
		}
	}
}

type texts struct{}

func (texts) T(lang, key string, args ...any) string { return key }

// A new case made through the cases service reaches every subscribed
// device exactly once, encrypted, signed, and without a word of content.
func TestNewCaseOnePushPerDevice(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	coordPhone := subscribe(t, p, "coord")
	coordLaptop := subscribe(t, p, "coord")
	hand1 := subscribe(t, p, "hand1") // default "assigned": no new cases
	hand2 := subscribe(t, p, "hand2")
	admin := subscribe(t, p, "admin") // default "assigned"
	field := subscribe(t, p, "field") // outreach never
	gone := subscribe(t, p, "gone")   // disabled
	if err := p.SetPreference(ctx, "hand2", push.PrefAll); err != nil {
		t.Fatal(err)
	}

	cs := cases.NewService(cases.Config{Store: e.st, Sealer: e.seal, Texts: texts{}, Notify: p})
	if err := cs.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	in := cases.Input{
		ID: "11111111-2222-4333-8444-555555555555", Kind: "complaint", Category: "landlord.rent",
		Description: "De verhuurder pakte mijn paspoort af en vraagt sleutelgeld",
		About:       "Kamerverhuur Zeedijk", Wish: "handle", Language: "nl",
		Identity: cases.Identity{Mode: "named", Name: "Anna Kowalska", Contact: "anna@example.org"},
	}
	res, err := cs.Create(ctx, in, cases.ChannelWeb)
	if err != nil {
		t.Fatal(err)
	}
	// The same report again, and the notifier told twice: nothing new.
	if _, err := cs.Create(ctx, in, cases.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	if err := p.CaseCreated(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	noErrors(t, coordPhone, coordLaptop, hand1, hand2, admin, field, gone)
	for _, s := range []*pushtest.Subscriber{hand1, admin, field, gone} {
		if n := len(s.Requests()); n != 0 {
			t.Errorf("a device that chose not to hear of new cases got %d pushes", n)
		}
	}
	forbidden := []string{"verhuurder", "paspoort", "sleutelgeld", "Zeedijk", "landlord", "Anna", "Kowalska", "anna@", res.Receipt, res.Reference}
	for name, s := range map[string]*pushtest.Subscriber{"coord phone": coordPhone, "coord laptop": coordLaptop, "hand2": hand2} {
		got := s.Delivered()
		if len(got) != 1 || len(s.Requests()) != 1 {
			t.Fatalf("%s: %d delivered of %d requests, want exactly 1", name, len(got), len(s.Requests()))
		}
		m := got[0]
		pl := payload(t, m)
		if pl.Type != push.TypeCaseNew || pl.ID != res.ID || pl.Lang != "nl" {
			t.Errorf("%s: payload %+v", name, pl)
		}
		for _, w := range forbidden {
			if strings.Contains(strings.ToLower(string(m.Payload)), strings.ToLower(w)) {
				t.Errorf("%s: payload %q contains %q", name, m.Payload, w)
			}
		}
		if m.TTL != 86400 || m.Urgency != "high" || m.Topic == "" || strings.Contains(m.Topic, res.ID) {
			t.Errorf("%s: TTL %d, Urgency %q, Topic %q", name, m.TTL, m.Urgency, m.Topic)
		}
		if m.BodySize > pushtest.MaxBody || m.BodySize != push.RecordSize {
			t.Errorf("%s: body of %d bytes", name, m.BodySize)
		}
		if m.Claims.Sub != "mailto:desk@gehoord.example" {
			t.Errorf("%s: sub %q", name, m.Claims.Sub)
		}
	}
	stats, _ := p.QueueStats(ctx)
	if stats["done"] != 3 || stats["pending"] != 0 {
		t.Errorf("queue %v", stats)
	}
}

func TestReplyAndReopenRecipients(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	coord := subscribe(t, p, "coord")
	hand1 := subscribe(t, p, "hand1")
	hand2 := subscribe(t, p, "hand2")

	if err := p.ReplyReceived(ctx, "case-a", "hand1"); err != nil {
		t.Fatal(err)
	}
	if err := p.ReplyReceived(ctx, "case-a", "hand1"); err != nil { // same window: once
		t.Fatal(err)
	}
	if err := p.ReplyReceived(ctx, "case-b", ""); err != nil { // unassigned: coordinators
		t.Fatal(err)
	}
	if err := p.ReopenRequested(ctx, "case-c"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	noErrors(t, coord, hand1, hand2)
	if d := hand1.Delivered(); len(d) != 1 || payload(t, d[0]) != (push.Payload{Type: push.TypeCaseReply, ID: "case-a", Lang: "en"}) || d[0].Urgency != "normal" {
		t.Errorf("hand1 got %d: %+v", len(d), d)
	}
	if n := len(hand2.Requests()); n != 0 {
		t.Errorf("hand2 got %d", n)
	}
	var types []string
	for _, m := range coord.Delivered() {
		pl := payload(t, m)
		types = append(types, pl.Type+":"+pl.ID)
	}
	if strings.Join(types, ",") != "case.reply:case-b,case.reopen:case-c" && strings.Join(types, ",") != "case.reopen:case-c,case.reply:case-b" {
		t.Errorf("coordinator got %v", types)
	}

	// Off means off, even for one's own case.
	if err := p.SetPreference(ctx, "hand1", push.PrefOff); err != nil {
		t.Fatal(err)
	}
	if err := p.ReplyReceived(ctx, "case-d", "hand1"); err != nil {
		t.Fatal(err)
	}
	_, _ = p.SendPending(ctx)
	if n := len(hand1.Requests()); n != 1 {
		t.Errorf("hand1 with preference off got %d", n)
	}
	if err := p.SetPreference(ctx, "hand1", "sometimes"); err == nil {
		t.Error("an unknown preference was accepted")
	}
}

func TestGoneSubscriptionIsRemoved(t *testing.T) {
	for _, code := range []int{404, 410} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			e := newEnv(t)
			p := e.service(t)
			sub := subscribe(t, p, "coord")
			sub.Script(code)
			if err := p.CaseCreated(ctx, "case-1"); err != nil {
				t.Fatal(err)
			}
			if err := p.CaseCreated(ctx, "case-2"); err != nil {
				t.Fatal(err)
			}
			_, _ = p.SendPending(ctx)
			if n := len(sub.Requests()); n != 1 {
				t.Errorf("%d requests after %d, want 1", n, code)
			}
			devs, _ := p.Devices(ctx, "coord")
			if len(devs) != 0 {
				t.Errorf("subscription still there after %d: %+v", code, devs)
			}
			n, _ := e.st.C("push_subscriptions").CountDocuments(ctx, bson.M{})
			if n != 0 {
				t.Errorf("%d subscriptions stored", n)
			}
			stats, _ := p.QueueStats(ctx)
			if stats["pending"]+stats["sending"] != 0 {
				t.Errorf("jobs left %v", stats)
			}
		})
	}
}

func TestRetryThenDeliveredOnce(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var waits []int
	p := e.service(t, func(c *push.Config) {
		c.Backoff = func(n int) time.Duration { mu.Lock(); waits = append(waits, n); mu.Unlock(); return 0 }
	})
	sub := subscribe(t, p, "coord")
	sub.Script(500, 503, 429, 201)
	if err := p.CaseCreated(ctx, "case-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	noErrors(t, sub)
	if d := sub.Delivered(); len(d) != 1 || payload(t, d[0]).ID != "case-1" {
		t.Fatalf("delivered %d", len(d))
	}
	if n := len(sub.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if fmt.Sprint(waits) != "[1 2 3]" {
		t.Errorf("backoff asked for attempts %v", waits)
	}
	devs, _ := p.Devices(ctx, "coord")
	if len(devs) != 1 {
		t.Error("a busy push service cost the subscription")
	}
}

func TestRetriesEndAfterADay(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := e.service(t, func(c *push.Config) {
		c.Now = clock
		c.Backoff = push.DefaultBackoff
	})
	sub := subscribe(t, p, "coord")
	codes := make([]int, 100)
	for i := range codes {
		codes[i] = 500
	}
	sub.Script(codes...)
	_ = p.CaseCreated(ctx, "case-1")
	for i := 0; i < 60; i++ {
		_, _ = p.SendPending(ctx)
		mu.Lock()
		now = now.Add(time.Hour)
		mu.Unlock()
	}
	stats, _ := p.QueueStats(ctx)
	if stats["failed"] != 1 || stats["pending"] != 0 {
		t.Errorf("queue after a day of 500s: %v", stats)
	}
	if n := len(sub.Requests()); n < 5 || n > 40 {
		t.Errorf("%d attempts in a day", n)
	}
}

// Two instances on one database work one queue: every job is sent once.
func TestTwoSendersEachJobOnce(t *testing.T) {
	e := newEnv(t)
	a := e.service(t)
	b := e.service(t)
	subs := []*pushtest.Subscriber{subscribe(t, a, "coord"), subscribe(t, b, "coord"), subscribe(t, a, "hand2")}
	_ = a.SetPreference(ctx, "hand2", push.PrefAll)
	const cases = 15
	for i := 0; i < cases; i++ {
		src := a
		if i%2 == 1 {
			src = b
		}
		if err := src.CaseCreated(ctx, fmt.Sprintf("case-%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	defer b.Stop()
	for _, s := range subs {
		s.WaitDelivered(cases, 20*time.Second)
	}
	settle(t, e, a, b)
	noErrors(t, subs...)
	for i, s := range subs {
		seen := map[string]int{}
		for _, m := range s.Requests() {
			seen[payload(t, m).ID]++
		}
		if len(seen) != cases || len(s.Requests()) != cases {
			t.Errorf("device %d: %d requests for %d cases", i, len(s.Requests()), len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("device %d got %s %d times", i, id, n)
			}
		}
	}
	var owners []string
	cur, _ := e.st.C("push_jobs").Find(ctx, bson.M{})
	var jobs []bson.M
	_ = cur.All(ctx, &jobs)
	for _, j := range jobs {
		owners = append(owners, fmt.Sprint(j["owner"]))
	}
	t.Logf("jobs by owner: %v", countStrings(owners))
}

// settle waits until no job is pending or being sent, stops the senders
// (Stop waits for a send in flight, and the subscriber records a request
// before it answers) and works the queue once more by hand: a job sent
// twice, or taken again once finished, has reached the subscriber by the
// time settle returns, instead of "within a while".
func settle(t *testing.T, e *env, senders ...*push.Service) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		st := jobStates(t, e)
		if st["pending"]+st["sending"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not worked off: %v", st)
		}
		time.Sleep(20 * time.Millisecond) // poll the queue
	}
	for _, s := range senders {
		s.Stop()
	}
	for i, s := range senders {
		if n, err := s.SendPending(ctx); err != nil || n != 0 {
			t.Errorf("sender %d took %d jobs (%v) from a worked-off queue", i, n, err)
		}
	}
}

func countStrings(l []string) map[string]int {
	m := map[string]int{}
	for _, s := range l {
		m[s]++
	}
	return m
}

// Jobs queued before a restart (and one a crashed sender held) are sent by
// the next instance.
func TestRestartSendsQueuedJobs(t *testing.T) {
	e := newEnv(t)
	old := e.service(t)
	sub := subscribe(t, old, "coord")
	for _, id := range []string{"case-1", "case-2", "case-3"} {
		if err := old.CaseCreated(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// The old sender claimed case-3 and then died: its lease runs out.
	_, err := e.st.C("push_jobs").UpdateMany(ctx, bson.M{"case_id": "case-3"}, bson.M{"$set": bson.M{
		"state": "sending", "owner": "dead", "lease_until": time.Now().Add(-time.Second), "attempts": 1}})
	if err != nil {
		t.Fatal(err)
	}
	// A job another sender holds right now is not taken.
	_ = old.CaseCreated(ctx, "case-4")
	_, _ = e.st.C("push_jobs").UpdateMany(ctx, bson.M{"case_id": "case-4"}, bson.M{"$set": bson.M{
		"state": "sending", "owner": "alive", "lease_until": time.Now().Add(time.Hour), "attempts": 1}})

	fresh := e.service(t)
	if err := fresh.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer fresh.Stop()
	got := sub.WaitDelivered(3, 10*time.Second)
	// Stop waits for a send in flight; one more pass by hand sends
	// whatever else the sender would take (case-4 must not be).
	fresh.Stop()
	if n, err := fresh.SendPending(ctx); err != nil || n != 0 {
		t.Errorf("after the three, the sender took %d more jobs (%v)", n, err)
	}
	if st := jobStates(t, e); st["done"] != 3 || st["sending"] != 1 {
		t.Errorf("jobs after restart: %v, want 3 done and case-4 still held", st)
	}
	noErrors(t, sub)
	ids := map[string]bool{}
	for _, m := range got {
		ids[payload(t, m).ID] = true
	}
	if len(got) != 3 || !ids["case-1"] || !ids["case-2"] || !ids["case-3"] {
		t.Errorf("after restart delivered %v", ids)
	}
	if len(sub.Requests()) != 3 {
		t.Errorf("%d requests", len(sub.Requests()))
	}
}

func TestVAPIDKeysStableAcrossInstances(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	keys := make([]string, 4)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := push.New(push.Config{Store: e.st, Sealer: e.seal, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Error(err)
				return
			}
			keys[i], err = s.PublicKey(ctx)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k != keys[0] || len(k) != 87 {
			t.Fatalf("instances disagree on the key: %v", keys)
		}
	}
	later := e.service(t)
	if k, _ := later.PublicKey(ctx); k != keys[0] {
		t.Error("a later instance made new keys")
	}
	var doc bson.M
	_ = e.st.C("push_keys").FindOne(ctx, bson.M{}).Decode(&doc)
	if b, ok := doc["private"].(bson.Binary); !ok || len(b.Data) < 40 {
		t.Errorf("private key not stored sealed: %T", doc["private"])
	}
}

func TestSubscriptions(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	sub := pushtest.NewSubscriber(t)
	var in push.Input
	_ = json.Unmarshal(sub.JSON(), &in)
	in.Label = "  Werk   telefoon "
	d, err := p.Subscribe(ctx, "hand1", in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Label != "Werk telefoon" || d.Lang != "nl" {
		t.Errorf("device %+v", d)
	}
	// The same endpoint again updates; another user takes it over.
	d2, err := p.Subscribe(ctx, "hand2", in)
	if err != nil || d2.ID != d.ID {
		t.Fatalf("resubscribe: %v %+v", err, d2)
	}
	if l, _ := p.Devices(ctx, "hand1"); len(l) != 0 {
		t.Error("hand1 still has the device")
	}
	if l, _ := p.Devices(ctx, "hand2"); len(l) != 1 || l[0].Label != "Werk telefoon" {
		t.Errorf("hand2 devices %+v", l)
	}
	// Nothing readable is stored.
	var raw bson.M
	_ = e.st.C("push_subscriptions").FindOne(ctx, bson.M{}).Decode(&raw)
	b, _ := bson.Marshal(raw)
	for _, w := range []string{sub.Endpoint, sub.AuthSecret(), "Werk"} {
		if strings.Contains(string(b), w) {
			t.Errorf("stored in clear: %q", w)
		}
	}
	if err := p.Unsubscribe(ctx, "hand1", sub.Endpoint); err == nil {
		t.Error("another user removed the device")
	}
	if err := p.Unsubscribe(ctx, "hand2", sub.Endpoint); err != nil {
		t.Error(err)
	}
	bad := []push.Input{
		{Endpoint: "http://push.example/x", Keys: in.Keys},
		{Endpoint: "not a url", Keys: in.Keys},
		{Endpoint: in.Endpoint, Keys: push.KeysIn{P256dh: "AAAA", Auth: in.Keys.Auth}},
		{Endpoint: in.Endpoint, Keys: push.KeysIn{P256dh: in.Keys.P256dh, Auth: "c2hvcnQ"}},
	}
	for i, b := range bad {
		if _, err := p.Subscribe(ctx, "hand1", b); err == nil {
			t.Errorf("bad subscription %d accepted", i)
		}
	}
	// Removing every device of a user (signing out everywhere).
	_, _ = p.Subscribe(ctx, "hand1", in)
	if err := p.RemoveUser(ctx, "hand1"); err != nil {
		t.Fatal(err)
	}
	if l, _ := p.Devices(ctx, "hand1"); len(l) != 0 {
		t.Error("devices left after RemoveUser")
	}
}

type agenda struct {
	total push.Counts
	by    map[string]push.Counts
}

func (a agenda) Agenda(context.Context, time.Time) (push.Counts, map[string]push.Counts, error) {
	return a.total, a.by, nil
}

func TestMorningSummaryOnce(t *testing.T) {
	e := newEnv(t)
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	now := time.Date(2026, 11, 27, 7, 31, 0, 0, ams)
	ag := agenda{total: push.Counts{Due: 2, Overdue: 1}, by: map[string]push.Counts{"hand1": {Due: 1}}}
	mk := func() *push.Service {
		return e.service(t, func(c *push.Config) { c.Now = func() time.Time { return now }; c.Agenda = ag })
	}
	a, b := mk(), mk()
	coord := subscribe(t, a, "coord")
	hand1 := subscribe(t, a, "hand1")
	hand2 := subscribe(t, a, "hand2") // nothing due for hand2

	early := e.service(t, func(c *push.Config) {
		c.Now = func() time.Time { return now.Add(-10 * time.Minute) }
		c.Agenda = ag
	})
	if ok, _ := early.RunSummary(ctx); ok {
		t.Error("summary before 07:30")
	}
	okA, errA := a.RunSummary(ctx)
	okB, errB := b.RunSummary(ctx)
	if errA != nil || errB != nil || okA == okB {
		t.Fatalf("summary claimed by a=%v b=%v (%v %v)", okA, okB, errA, errB)
	}
	_, _ = a.SendPending(ctx)
	noErrors(t, coord, hand1, hand2)
	for name, s := range map[string]*pushtest.Subscriber{"coord": coord, "hand1": hand1} {
		d := s.Delivered()
		if len(d) != 1 {
			t.Fatalf("%s got %d summaries", name, len(d))
		}
		if pl := payload(t, d[0]); pl.Type != push.TypeSummary || pl.ID != "" || d[0].Topic != "summary" || d[0].Urgency != "normal" {
			t.Errorf("%s: %+v topic %q", name, pl, d[0].Topic)
		}
	}
	if len(hand2.Requests()) != 0 {
		t.Error("hand2 had nothing due but got a summary")
	}
}

func TestResolveContact(t *testing.T) {
	for _, c := range []struct {
		contact, public, want string
		warn                  bool
	}{
		{"mailto:desk@gehoord.nl", "http://127.0.0.1:8080", "mailto:desk@gehoord.nl", false},
		{"https://gehoord.nl/contact", "", "https://gehoord.nl/contact", false},
		{"", "https://gehoord.nl", "https://gehoord.nl", false},
		{"", "http://127.0.0.1:8080", push.PlaceholderContact, true},
		{"", "https://localhost:8443", push.PlaceholderContact, true},
		{"mailto:admin@localhost", "", push.PlaceholderContact, true},
		{"desk@gehoord.nl", "https://gehoord.nl", "https://gehoord.nl", true},
	} {
		got, warn := push.ResolveContact(c.contact, c.public)
		if got != c.want || (warn != "") != c.warn {
			t.Errorf("ResolveContact(%q, %q) = %q, %q", c.contact, c.public, got, warn)
		}
	}
}

// A subscriber placeholder still passes the push service's checks (it is
// a valid, undeliverable address, never localhost).
func TestPlaceholderContactIsAccepted(t *testing.T) {
	e := newEnv(t)
	p := e.service(t, func(c *push.Config) { c.Contact = ""; c.PublicURL = "http://127.0.0.1:8080" })
	sub := subscribe(t, p, "coord")
	_ = p.CaseCreated(ctx, "x")
	_, _ = p.SendPending(ctx)
	noErrors(t, sub)
	if d := sub.Delivered(); len(d) != 1 || d[0].Claims.Sub != push.PlaceholderContact {
		t.Errorf("delivered %+v", d)
	}
}

var _ = store.ErrNotFound

// The default agenda counts from the cases collection with the deadline
// rules of package cases.
func TestCasesAgendaCounts(t *testing.T) {
	e := newEnv(t)
	made := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	cs := cases.NewService(cases.Config{Store: e.st, Sealer: e.seal, Texts: texts{}, Now: func() time.Time { return made }})
	if err := cs.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Create(ctx, cases.Input{Kind: "listen", Description: "x", Wish: "heard", Language: "nl",
		Identity: cases.Identity{Mode: "anonymous"}}, cases.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	a := cases.NewQueries(e.st)
	total, _, err := a.Agenda(ctx, made.Add(time.Hour))
	if err != nil || total != (push.Counts{}) {
		t.Errorf("fresh case: %+v %v", total, err)
	}
	total, _, err = a.Agenda(ctx, made.AddDate(0, 0, 30))
	if err != nil || total.Overdue != 1 {
		t.Errorf("a month later: %+v %v", total, err)
	}
}
