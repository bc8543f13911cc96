package push_test

// Concurrency probes: many callers at one moment, on one store and on two
// stores opened on the same database (two instances). A job taken over
// after its lease ran out must keep exact attempt counts and never go back
// to an earlier state; a sender's bookkeeping must not undo what a user
// changed at the same moment.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// instances runs probe with one store, then with two stores opened on one
// database as two server instances would be. Each gets an env per store
// with one sealing key, as the instances of one deployment share it;
// callers spread their goroutines over the envs.
func instances(t *testing.T, probe func(t *testing.T, envs []*env)) {
	t.Helper()
	t.Run("one_instance", func(t *testing.T) {
		probe(t, []*env{{st: storetest.New(t), seal: sealer(t)}})
	})
	t.Run("two_instances", func(t *testing.T) {
		sl := sealer(t)
		var envs []*env
		for _, st := range storetest.Instances(t, 2) {
			envs = append(envs, &env{st: st, seal: sl})
		}
		probe(t, envs)
	})
}

// hooked wraps the test push client: before runs before a request goes
// out, after once its answer is in (before the sender sees it).
type hooked struct {
	base          http.RoundTripper
	before, after func(*http.Request)
}

func (h hooked) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.before != nil {
		h.before(r)
	}
	resp, err := h.base.RoundTrip(r)
	if err == nil && h.after != nil {
		h.after(r)
	}
	return resp, err
}

func hookedClient(before, after func(*http.Request)) *http.Client {
	c := pushtest.Client()
	c.Transport = hooked{base: c.Transport, before: before, after: after}
	return c
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// subscribeDevice subscribes a new test endpoint for user and returns it
// with its device id.
func subscribeDevice(t *testing.T, s *push.Service, user string) (*pushtest.Subscriber, push.Input, string) {
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
	in.Label = "device of " + user
	d, err := s.Subscribe(ctx, user, in)
	if err != nil {
		t.Fatal(err)
	}
	return sub, in, d.ID
}

// A sender delivers a job and then hangs past its lease; another sender
// takes the job over exactly while the first one finishes. Whatever the
// order, every attempt is recorded (attempts = requests that reached the
// push service, at most two), each job ends done, and no request goes out
// for a job its sender does not hold: not for one already finished (that
// is a second delivery of a done job), not for one another write took back.
// An atomic store alone does not make this pass: the claim's update matches
// on id and attempts only, so it also takes a job that finished between the
// claim's query and its update, and the claimer sends it again.
func TestLeaseTakeoverWhileFirstSenderFinishes(t *testing.T) {
	instances(t, func(t *testing.T, envs []*env) {
		const jobs, takers = 8, 4
		const lease = time.Minute
		clk := &fakeClock{t: time.Now().UTC()}
		jobsColl := envs[0].st.C("push_jobs")

		// The hook looks at the job a request is for just before it goes
		// out: it must be held by a sender and not yet finished.
		var mu sync.Mutex
		subOf := map[string]string{} // endpoint → device id
		var violations []string
		check := func(r *http.Request) {
			mu.Lock()
			id := subOf[r.URL.String()]
			mu.Unlock()
			var j struct {
				State      string    `bson:"state"`
				Attempts   int       `bson:"attempts"`
				FinishedAt time.Time `bson:"finished_at"`
			}
			if err := jobsColl.FindOne(context.Background(), bson.M{"sub_id": id}).Decode(&j); err != nil {
				mu.Lock()
				violations = append(violations, fmt.Sprintf("job of %s unreadable while sending: %v", id, err))
				mu.Unlock()
				return
			}
			if j.State != "sending" || !j.FinishedAt.IsZero() {
				mu.Lock()
				violations = append(violations, fmt.Sprintf("job of %s sent as attempt %d while it reads state %q, finished at %v",
					id, j.Attempts, j.State, j.FinishedAt))
				mu.Unlock()
			}
		}
		mk := func(i int, after func(*http.Request)) *push.Service {
			return envs[i%len(envs)].service(t, func(c *push.Config) {
				c.Now = clk.Now
				c.Lease = lease
				c.HTTPClient = hookedClient(check, after)
			})
		}

		first := mk(0, nil)
		subs := make([]*pushtest.Subscriber, jobs)
		ids := make([]string, jobs)
		for k := range jobs {
			subs[k], _, ids[k] = subscribeDevice(t, first, "coord")
			subOf[subs[k].Endpoint] = ids[k]
		}
		if err := first.CaseCreated(ctx, "case-1"); err != nil { // one job per device
			t.Fatal(err)
		}

		// Each first sender takes one job, delivers it and hangs in the
		// answer until gate closes.
		gate := make(chan struct{})
		release := sync.OnceFunc(func() { close(gate) })
		defer release() // also when the test stops early
		held := make(chan struct{})
		var done sync.WaitGroup
		errs := make(chan error, jobs+takers)
		for i := range jobs {
			var once sync.Once
			s := mk(i, func(*http.Request) {
				once.Do(func() { held <- struct{}{}; <-gate })
			})
			done.Add(1)
			go func() {
				defer done.Done()
				if _, err := s.SendPending(context.Background()); err != nil {
					errs <- err
				}
			}()
			select {
			case <-held:
			case <-time.After(10 * time.Second):
				t.Fatalf("first sender %d took no job", i)
			}
		}
		clk.Add(lease + time.Second) // every lease has run out

		takeover := make([]*push.Service, takers)
		for i := range takers {
			takeover[i] = mk(i+1, nil)
		}
		storetest.Together(takers+1, func(i int) {
			if i == takers {
				release() // the first senders finish now
				return
			}
			if _, err := takeover[i].SendPending(context.Background()); err != nil {
				errs <- err
			}
		})
		done.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("sender: %v", err)
		}
		noErrors(t, subs...)
		if len(violations) > 0 {
			t.Errorf("%d requests went out for jobs not held by their sender; the first: %s", len(violations), violations[0])
		}
		for k := range jobs {
			var j struct {
				State    string `bson:"state"`
				Attempts int    `bson:"attempts"`
			}
			if err := jobsColl.FindOne(ctx, bson.M{"sub_id": ids[k]}).Decode(&j); err != nil {
				t.Fatal(err)
			}
			sent := len(subs[k].Requests())
			if j.State != "done" || j.Attempts != sent || sent > 2 {
				t.Errorf("job %d: state %q, attempts %d, requests %d; want done and attempts = requests ≤ 2",
					k, j.State, j.Attempts, sent)
			}
		}
	})
}

// A browser profile changes hands (the same endpoint subscribed by another
// user) just as notifications to it are delivered: the device belongs to
// the new user afterwards. A sender noting last_sent must not give it back
// to the old one. The senders are held after their push went out and all
// let go at the moment of the move, so their writes meet it.
func TestSubscriptionMovesWhileDelivering(t *testing.T) {
	instances(t, func(t *testing.T, envs []*env) {
		const rounds, senders, movers = 8, 8, 4
		base := envs[0].service(t)
		users := []string{"hand1", "hand2"}
		for _, u := range users {
			if err := base.SetPreference(ctx, u, push.PrefAll); err != nil {
				t.Fatal(err)
			}
		}
		sub, in, _ := subscribeDevice(t, base, users[0])

		// Each sender holds its next answer (once) until the round's gate
		// closes.
		var gate atomic.Pointer[chan struct{}]
		held := make(chan struct{}, senders)
		hold := make([]atomic.Bool, senders)
		send := make([]*push.Service, senders)
		for i := range send {
			send[i] = envs[i%len(envs)].service(t, func(c *push.Config) {
				c.HTTPClient = hookedClient(nil, func(*http.Request) {
					if hold[i].CompareAndSwap(true, false) {
						g := gate.Load()
						held <- struct{}{}
						<-*g
					}
				})
			})
		}
		move := make([]*push.Service, movers)
		for i := range move {
			move[i] = envs[i%len(envs)].service(t)
		}

		sent := 0
		for r := range rounds {
			from, to := users[r%2], users[(r+1)%2]
			for k := range senders { // one job each
				if err := base.CaseCreated(ctx, fmt.Sprintf("case-%d-%d", r, k)); err != nil {
					t.Fatal(err)
				}
			}
			g := make(chan struct{})
			gate.Store(&g)
			release := sync.OnceFunc(func() { close(g) })
			var done sync.WaitGroup
			errs := make([]error, senders+movers)
			for i := range senders {
				hold[i].Store(true)
				done.Add(1)
				go func() {
					defer done.Done()
					_, errs[i] = send[i].SendPending(context.Background())
				}()
			}
			for i := range senders {
				select {
				case <-held:
				case <-time.After(10 * time.Second):
					release()
					t.Fatalf("round %d: only %d of %d senders took a job", r, i, senders)
				}
			}
			storetest.Together(movers+1, func(i int) {
				if i == movers {
					release()
					return
				}
				// A few in a row, to cover the moments the senders write in.
				for range 3 {
					if _, err := move[i].Subscribe(context.Background(), to, in); err != nil {
						errs[senders+i] = err
						return
					}
				}
			})
			done.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, call %d: %v", r, i, err)
				}
			}
			sent += senders
			if got := len(sub.Delivered()); got != sent {
				t.Errorf("round %d: %d notifications delivered in all, want %d", r, got, sent)
				sent = got
			}
			toDevs, err := base.Devices(ctx, to)
			if err != nil {
				t.Fatal(err)
			}
			fromDevs, err := base.Devices(ctx, from)
			if err != nil {
				t.Fatal(err)
			}
			if len(toDevs) != 1 || len(fromDevs) != 0 {
				t.Fatalf("round %d: the device moved from %s to %s during deliveries; %s has %d devices, %s has %d",
					r, from, to, to, len(toDevs), from, len(fromDevs))
			}
		}
		noErrors(t, sub)
	})
}

// The same endpoint subscribed by many requests at once (a page opened in
// several tabs) is one device, sealed so that it can be sent to.
func TestConcurrentSubscribeOneDevice(t *testing.T) {
	instances(t, func(t *testing.T, envs []*env) {
		const n = 16
		svc := []*push.Service{envs[0].service(t), envs[len(envs)-1].service(t)}
		sub := pushtest.NewSubscriber(t)
		key, err := svc[0].PublicKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sub.WantKey = key
		var in push.Input
		if err := json.Unmarshal(sub.JSON(), &in); err != nil {
			t.Fatal(err)
		}
		in.Label = "Werktelefoon"
		ids := make([]string, n)
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			d, err := svc[i%2].Subscribe(context.Background(), "hand1", in)
			ids[i], errs[i] = d.ID, err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("subscribe %d: %v", i, err)
			} else if ids[i] != ids[0] {
				t.Errorf("subscribe %d answered device %s, subscribe 0 %s", i, ids[i], ids[0])
			}
		}
		devs, err := svc[0].Devices(ctx, "hand1")
		if err != nil {
			t.Fatal(err)
		}
		if len(devs) != 1 || devs[0].Label != "Werktelefoon" {
			t.Fatalf("after %d subscriptions of one endpoint at once: %+v", n, devs)
		}
		if err := svc[0].ReplyReceived(ctx, "case-1", "hand1"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc[1].SendPending(ctx); err != nil {
			t.Fatal(err)
		}
		noErrors(t, sub)
		if d := sub.Delivered(); len(d) != 1 {
			t.Errorf("%d notifications delivered to the device, want 1", len(d))
		}
	})
}

// A user's first choice of preference sent several times at once (two
// tabs) is stored without an error, and reads back as one of the choices.
func TestConcurrentFirstPreference(t *testing.T) {
	instances(t, func(t *testing.T, envs []*env) {
		svc := []*push.Service{envs[0].service(t), envs[len(envs)-1].service(t)}
		const n = 16
		for r := range 4 {
			user := fmt.Sprintf("user-%d", r)
			errs := make([]error, n)
			storetest.Together(n, func(i int) {
				errs[i] = svc[i%2].SetPreference(context.Background(), user, push.Preferences[i%len(push.Preferences)])
			})
			failed := 0
			var first error
			for _, err := range errs {
				if err != nil {
					failed++
					first = cmp.Or(first, err)
				}
			}
			if failed > 0 {
				t.Errorf("round %d: %d of %d first preferences set at once failed; one: %v", r, failed, n, first)
			}
			p, err := svc[1].PreferenceOf(ctx, user, push.RoleHandler)
			if err != nil || !p.Valid() {
				t.Errorf("round %d: preference reads %q (%v)", r, p, err)
			}
		}
	})
}
