package push_test

// Push goes to push services only: a signed-in staff member
// must not be able to make the server send requests to an address of her
// choosing — loopback, the cloud metadata service, the internal network.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
)

// production is the service as the server builds it: the default push
// hosts, nothing on loopback.
func production(c *push.Config) { c.Hosts, c.AllowLoopback = nil, false }

// noRetrySoon keeps a retried job from being due again within the test, so
// SendPending returns after one attempt.
func noRetrySoon(c *push.Config) { c.Backoff = func(int) time.Duration { return time.Hour } }

// input is a valid subscription (real keys) with the given endpoint.
func input(keys *pushtest.Subscriber, endpoint string) push.Input {
	return push.Input{Endpoint: endpoint, Keys: push.KeysIn{P256dh: keys.P256dh(), Auth: keys.AuthSecret()}}
}

// listener accepts TCP connections on 127.0.0.1 and counts them: the
// proof of whether the server connected at all.
type listener struct {
	net.Listener
	n atomic.Int32
}

func countConnections(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{Listener: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Counted before the close the client waits for.
			l.n.Add(1)
			_ = c.Close()
		}
	}()
	return l
}

func (l *listener) port() string { return strconv.Itoa(l.Addr().(*net.TCPAddr).Port) }

func jobStates(t *testing.T, e *env) map[string]int {
	t.Helper()
	cur, err := e.st.C("push_jobs").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var jobs []struct {
		State string `bson:"state"`
	}
	if err := cur.All(ctx, &jobs); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, j := range jobs {
		m[j.State]++
	}
	return m
}

// Subscribing accepts the public push services only: no loopback, no
// link-local metadata address, no internal name, no look-alike.
func TestSubscribeOnlyToPushServices(t *testing.T) {
	e := newEnv(t)
	p := e.service(t, production)
	keys := pushtest.NewSubscriber(t) // its keys are valid; its endpoint is on loopback
	refused := []string{
		keys.Endpoint,
		"https://127.0.0.1/push/x",
		"https://[::1]/push/x",
		"https://[::ffff:127.0.0.1]/push/x",
		"https://localhost/push/x",
		"https://169.254.169.254/latest/meta-data/iam/",
		"https://[fd00::1]/x",
		"https://10.0.0.5/x",
		"https://metadata.google.internal/computeMetadata/v1/",
		"https://intranet/x",
		"https://push.example.com/x",
		"https://fcm.googleapis.com.evil.example/x",
		"https://evilfcm.googleapis.com/x",
		"https://push.apple.com.evil.example/x",
		"https://2130706433/x",
	}
	for _, ep := range refused {
		if _, err := p.Subscribe(ctx, "coord", input(keys, ep)); !errors.Is(err, push.ErrHost) {
			t.Errorf("%s: got %v, want refused as not a push service", ep, err)
		}
	}
	accepted := []string{
		"https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bExample",
		"https://updates.push.services.mozilla.com/wpush/v2/gAAAAABexample",
		"https://web.push.apple.com/QGhE1xQdmMexample",
		"https://wns2-par02p.notify.windows.com/w/?token=BQYAAADexample",
		"https://FCM.googleapis.com./fcm/send/upper-case-and-a-dot",
	}
	for _, ep := range accepted {
		if _, err := p.Subscribe(ctx, "coord", input(keys, ep)); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
	if devs, _ := p.Devices(ctx, "coord"); len(devs) != len(accepted) {
		t.Errorf("%d devices stored, want the %d push-service endpoints only", len(devs), len(accepted))
	}
}

// An allowed name that resolves to a loopback address (DNS rebinding, or
// a name the operator allowed) is never connected to: the check is on the
// address the dialer is about to use.
func TestSendRefusesAllowedNameOnPrivateAddress(t *testing.T) {
	e := newEnv(t)
	ln := countConnections(t)
	p := e.service(t, production, noRetrySoon, func(c *push.Config) { c.Hosts = []string{"localhost"} })
	if _, err := p.Subscribe(ctx, "coord", input(pushtest.NewSubscriber(t), "https://localhost:"+ln.port()+"/push/x")); err != nil {
		t.Fatal(err)
	}
	if err := p.CaseCreated(ctx, "case-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ln.n.Load(); n != 0 {
		t.Errorf("the sender connected %d times to a loopback address behind an allowed name", n)
	}
	if st := jobStates(t, e); st["failed"] != 1 {
		t.Errorf("job states %v, want the job failed", st)
	}
}

// A subscription stored before the allow-list (or before it was narrowed)
// is not sent to either.
func TestSendRefusesStoredEndpointOutsideAllowList(t *testing.T) {
	e := newEnv(t)
	ln := countConnections(t)
	old := e.service(t, func(c *push.Config) { c.AllowLoopback = true })
	if _, err := old.Subscribe(ctx, "coord", input(pushtest.NewSubscriber(t), "https://127.0.0.1:"+ln.port()+"/push/x")); err != nil {
		t.Fatal(err)
	}
	p := e.service(t, production, noRetrySoon)
	if err := p.CaseCreated(ctx, "case-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendPending(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ln.n.Load(); n != 0 {
		t.Errorf("the sender connected %d times to a stored loopback endpoint", n)
	}
	if st := jobStates(t, e); st["failed"] != 1 {
		t.Errorf("job states %v, want the job failed", st)
	}
}

// The sender's client refuses, at dial time, every address that is not
// public, whatever name led to it; quickly, without trying to connect.
func TestSenderDialsNoPrivateAddress(t *testing.T) {
	e := newEnv(t)
	p := e.service(t, production)
	client := p.Client()
	for _, host := range []string{
		"127.0.0.1", "[::1]", "localhost", "169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1",
		"100.64.0.1", "[fd00::1]", "[fe80::1]", "0.0.0.0", "[::]", "224.0.0.1", "[::ffff:169.254.169.254]",
	} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(c, http.MethodPost, "https://"+host+"/push/x", bytes.NewReader([]byte("x")))
			res, err := client.Do(req)
			if err == nil {
				res.Body.Close()
			}
			if !errors.Is(err, push.ErrAddress) {
				t.Errorf("POST to %s: %v, want refused before connecting", host, err)
			}
		})
	}
}

func TestPublicAddress(t *testing.T) {
	for _, a := range []string{
		"127.0.0.1", "127.8.9.1", "::1", "0.0.0.0", "0.1.2.3", "::",
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "fe80::1", "fe80::1%eth0",
		"100.64.0.1", "100.127.255.254",
		"fd00::1", "fc00::1", "fec0::1",
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", "ff0e::1",
		"255.255.255.255", "240.0.0.1", "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::1", "2002:a00:1::1", "2002:7f00:1::1",
		"2001:db8::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "100::1",
	} {
		if push.PublicAddress(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as public", a)
		}
	}
	for _, a := range []string{
		"142.250.179.138", "17.253.144.10", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.32.0.1",
		"2a00:1450:400e:80f::200a", "2620:fe::fe", "64:ff9b::8efa:b38a", "2002:8efa:b38a::1", "::ffff:142.250.179.138",
	} {
		if !push.PublicAddress(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as not public", a)
		}
	}
}

// A push endpoint that answers with a redirect is not followed: the
// redirect could point anywhere.
func TestSendFollowsNoRedirect(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			var hits atomic.Int32
			target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusCreated)
			}))
			defer target.Close()
			endpoint := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/latest/meta-data/", code)
			}))
			defer endpoint.Close()

			e := newEnv(t)
			p := e.service(t, noRetrySoon, func(c *push.Config) { c.AllowLoopback = true })
			if _, err := p.Subscribe(ctx, "coord", input(pushtest.NewSubscriber(t), endpoint.URL+"/push/x")); err != nil {
				t.Fatal(err)
			}
			if err := p.CaseCreated(ctx, "case-1"); err != nil {
				t.Fatal(err)
			}
			if _, err := p.SendPending(ctx); err != nil {
				t.Fatal(err)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the redirect was followed: %d requests reached its target", n)
			}
			if st := jobStates(t, e); st["failed"] != 1 {
				t.Errorf("job states %v, want the job failed", st)
			}
		})
	}
}
