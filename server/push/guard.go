package push

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/gehoord/gehoord/server/fault"
)

// A subscription's endpoint is chosen by whoever holds a staff session, and
// the server posts to it for a day after every event. So the server talks
// to the public push services only: an endpoint must name one of their
// hosts (checked when subscribing and again before sending), the address
// the name resolves to must be public (checked by the dialer on the very
// address it connects to, so a name that resolves elsewhere later —
// DNS rebinding — gains nothing), and redirects are not followed.

// DefaultHosts are the push services of the browsers staff use: Chrome,
// Edge on Android, Opera, Samsung Internet and other Chromium browsers
// (Firebase Cloud Messaging; android.googleapis.com is its old name),
// Firefox (Mozilla autopush), Safari on macOS, iPhone and iPad (Apple), and
// Edge on Windows (Windows Push Notification Services). "*." accepts any
// subdomain.
var DefaultHosts = []string{
	"fcm.googleapis.com",
	"android.googleapis.com",
	"updates.push.services.mozilla.com",
	"*.push.apple.com",
	"*.notify.windows.com",
}

var (
	// ErrHost: the endpoint is not at one of the accepted push services.
	// It is an ErrInvalid on the endpoint, with its own message.
	ErrHost = hostError()
	// ErrAddress: a push service's name led to an address that is not
	// public; nothing was sent.
	ErrAddress = errors.New("push: the push service's address is not public")
)

// normHost lower-cases a host name and drops the root dot.
func normHost(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// hostAllowed says whether an endpoint's host is an accepted push service.
// An address literal never is (only loopback, when tests allow it).
func (s *Service) hostAllowed(host string) bool {
	h := normHost(host)
	if h == "" {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return s.cfg.AllowLoopback && a.Unmap().IsLoopback()
	}
	for _, p := range s.hosts {
		if base, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(h, "."+base) {
				return true
			}
		} else if h == p {
			return true
		}
	}
	return false
}

// guarded is c made safe for sending: its transport (or a default one)
// dials public addresses only, uses no proxy (a proxy would connect on our
// behalf, past the check), and no redirect is followed.
func (s *Service) guarded(c *http.Client) (*http.Client, error) {
	var t *http.Transport
	switch rt := c.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		if s.cfg.AllowLoopback {
			// Tests only (loopback push services): a transport that wraps
			// the test client to watch requests, used as given.
			return &http.Client{Transport: rt, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}}, nil
		}
		return nil, fmt.Errorf("push: the HTTP client's transport must be an *http.Transport, not %T", c.Transport)
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: s.checkDial}
	t.Proxy = nil
	t.DialContext = d.DialContext
	t.DialTLSContext = nil
	//lint:ignore SA1019 clearing the deprecated hooks is what keeps them from bypassing DialContext
	t.Dial, t.DialTLS = nil, nil
	out := &http.Client{
		Transport: t,
		Timeout:   c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if out.Timeout <= 0 {
		out.Timeout = sendTimeout
	}
	return out, nil
}

// checkDial runs for every address the dialer is about to connect to,
// after the name was resolved.
func (s *Service) checkDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrAddress
	}
	a := ap.Addr().Unmap()
	if publicAddress(a) || (s.cfg.AllowLoopback && a.IsLoopback()) {
		return nil
	}
	return ErrAddress
}

// notPublic are ranges no push service is reached at, beyond what netip
// classifies itself (loopback, private, link-local, multicast, unspecified).
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("::/8"),            // reserved: IPv4-compatible, local NAT64 64:ff9b:1::/48
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments, Teredo
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // segment routing
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// publicAddress says whether a is a public unicast address. Addresses that
// embed an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
func publicAddress(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() {
		return false
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return publicAddress(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return publicAddress(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func hostError() *fault.Error {
	e := ErrInvalid.Wrap(errors.New("endpoint is not at an accepted push service"))
	e.Fields = []fault.Field{{Field: "endpoint", Key: "push.status.service"}}
	return e
}
