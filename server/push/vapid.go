package push

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
)

// vapidDocID is the one key document; inserting it only when absent makes
// every instance that starts at the same moment agree on one key pair.
const vapidDocID = "vapid"

// PlaceholderContact is used when no valid contact is configured; it is
// not deliverable (.invalid) and the start-up log says so. Some push
// services (Apple's) refuse messages without a real contact.
const PlaceholderContact = "mailto:push-contact-not-configured@gehoord.invalid"

type vapidKeys struct {
	Public  string // base64url, uncompressed P-256 point
	Private string // base64url, raw scalar
}

type vapidDoc struct {
	ID        string    `bson:"_id"`
	Public    string    `bson:"public"`
	Private   []byte    `bson:"private"` // sealed
	CreatedAt time.Time `bson:"created_at"`
}

// vapid returns the installation's key pair, creating it on first use.
func (s *Service) vapid(ctx context.Context) (*vapidKeys, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.keys != nil {
		return s.keys, nil
	}
	c := s.st.C(collKeys)
	var d vapidDoc
	err := c.FindOne(ctx, bson.M{"_id": vapidDocID}).Decode(&d)
	if err != nil && store.NotFound(err) != store.ErrNotFound {
		return nil, fmt.Errorf("push: read VAPID keys: %w", err)
	}
	if err != nil {
		priv, pub, gerr := webpush.GenerateVAPIDKeys()
		if gerr != nil {
			return nil, fmt.Errorf("push: make VAPID keys: %w", gerr)
		}
		nd := vapidDoc{ID: vapidDocID, Public: pub, Private: s.seal.Seal(priv, "push:vapid"), CreatedAt: s.now().UTC()}
		if ierr := s.st.Insert(ctx, collKeys, nd); ierr != nil && !store.IsDuplicate(ierr) {
			return nil, fmt.Errorf("push: store VAPID keys: %w", ierr)
		}
		// Whoever won the insert, read what is stored.
		if err := c.FindOne(ctx, bson.M{"_id": vapidDocID}).Decode(&d); err != nil {
			return nil, fmt.Errorf("push: read VAPID keys: %w", err)
		}
	}
	priv, err := s.seal.Open(d.Private, "push:vapid")
	if err != nil {
		return nil, fmt.Errorf("push: open VAPID private key (another secret key?): %w", err)
	}
	s.keys = &vapidKeys{Public: d.Public, Private: priv}
	return s.keys, nil
}

// PublicKey is the VAPID public key (base64url) browsers subscribe with.
func (s *Service) PublicKey(ctx context.Context) (string, error) {
	k, err := s.vapid(ctx)
	if err != nil {
		return "", err
	}
	return k.Public, nil
}

// ResolveContact picks the VAPID "sub": the configured contact when valid,
// else the public URL when it is https, else PlaceholderContact. warn is
// non-empty when the operator should act. A localhost address is never
// used: Apple's push service rejects it.
func ResolveContact(contact, publicURL string) (sub, warn string) {
	contact = strings.TrimSpace(contact)
	if contact != "" {
		if ok, why := validContact(contact); ok {
			return contact, ""
		} else {
			warn = "push: GEHOORD_PUSH_CONTACT " + why + "; "
		}
	}
	if ok, _ := validContact(publicURL); ok && strings.HasPrefix(publicURL, "https:") {
		if warn != "" {
			return publicURL, warn + "using the public URL as the push contact"
		}
		return publicURL, ""
	}
	return PlaceholderContact, warn + "push: no valid push contact: set GEHOORD_PUSH_CONTACT to a mailto: address or an https: URL; some push services (Apple) refuse notifications until then"
}

func validContact(v string) (bool, string) {
	switch {
	case strings.HasPrefix(v, "mailto:"):
		a, err := mail.ParseAddress(strings.TrimPrefix(v, "mailto:"))
		if err != nil || strings.Contains(a.Address, "mailto:") {
			return false, "is not a valid mailto: address"
		}
		host := a.Address[strings.LastIndex(a.Address, "@")+1:]
		if isLocalHost(host) {
			return false, "must not be a localhost address"
		}
		return true, ""
	case strings.HasPrefix(v, "https:"):
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return false, "is not a valid https: URL"
		}
		if isLocalHost(u.Hostname()) {
			return false, "must not be a localhost address"
		}
		return true, ""
	}
	return false, "must start with mailto: or https:"
}

func isLocalHost(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "" {
		return true
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return false
}

// webpushSubscriber is what webpush-go v1.4 expects in Options.Subscriber:
// it adds "mailto:" itself to anything that does not start with "https:",
// so a configured "mailto:x" must be passed as "x".
func webpushSubscriber(sub string) string { return strings.TrimPrefix(sub, "mailto:") }
