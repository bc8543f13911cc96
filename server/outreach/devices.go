package outreach

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

const devicesColl = "outreach_devices"

// tokenPrefix makes a leaked token recognisable to secret scanners;
// revokePrefix marks a token that can only revoke its device.
const (
	tokenPrefix  = "ghd_"
	revokePrefix = "ghr_"
)

// DefaultIdle is how long a device token may go unused before it stops
// working, unless DevicesConfig.Idle says otherwise.
const DefaultIdle = 30 * 24 * time.Hour

// lastSeenEvery limits how often a sync writes the device's last-seen time.
const lastSeenEvery = time.Minute

// Devices registers, authenticates, lists and revokes outreach tablets.
type Devices struct {
	st       *store.Store
	auth     Authenticator
	idle     time.Duration
	disabled func(ctx context.Context, userID string) (bool, error)
}

// DevicesConfig is what the device service is built from.
type DevicesConfig struct {
	Store *store.Store
	// Auth verifies staff sign-in.
	Auth Authenticator
	// Idle is how long a token may go unused before it stops working;
	// zero means DefaultIdle.
	Idle time.Duration
	// UserDisabled, when set, refuses a device whose staff member is
	// disabled. Disabling revokes her devices (RevokeUser); the check also
	// covers a tablet registered at the very moment she was disabled.
	UserDisabled func(ctx context.Context, userID string) (bool, error)
}

// NewDevices returns the device service.
func NewDevices(c DevicesConfig) *Devices {
	if c.Idle <= 0 {
		c.Idle = DefaultIdle
	}
	return &Devices{st: c.Store, auth: c.Auth, idle: c.Idle, disabled: c.UserDisabled}
}

// Expired says whether a device went unused for longer than the idle limit.
func (d *Devices) Expired(dev Device) bool {
	return now().Sub(dev.LastSeen) > d.idle
}

// Indexes are the indexes the device service needs.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: devicesColl, Keys: bson.D{{Key: "token_hash", Value: 1}}, Unique: true, Name: "token_hash_unique"},
		{Collection: devicesColl, Keys: bson.D{{Key: "user_id", Value: 1}}, Name: "user"},
		// Not unique: devices registered before revoke tokens have none.
		{Collection: devicesColl, Keys: bson.D{{Key: "revoke_hash", Value: 1}}, Name: "revoke_hash"},
		{Collection: cardsColl, Keys: bson.D{{Key: "round", Value: 1}}, Name: "round"},
	}
}

// HashToken is how a token is stored and looked up. The token carries 256
// random bits, so a fast hash is enough: nobody can guess their way back.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("outreach: no randomness: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// RegisterAfter verifies the staff member's credentials and registers a
// new device for her. The token is returned this once and never stored. It
// answers ErrSignIn, ErrRateLimited or ErrSecondFactorSetup as the
// Authenticator does, ErrForbidden for a role without outreach work.
//
// A tablet that was registered before (then revoked, expired or signed
// out) proves it with its earlier device token: the new device succeeds
// the old one, so the items the tablet sealed under the old device's id
// still open (they are bound to it). An empty or unknown previous token
// registers the tablet afresh.
func (d *Devices) RegisterAfter(ctx context.Context, email, password, code, label, client, previousToken string) (Device, string, error) {
	if d.auth == nil {
		return Device{}, "", ErrSignIn
	}
	u, err := d.auth.Authenticate(ctx, email, password, code, client)
	if err != nil {
		return Device{}, "", err
	}
	if !RolesAllowed[u.Role] {
		return Device{}, "", ErrForbidden
	}
	var before []string
	if previousToken != "" {
		prev, err := d.byToken(ctx, previousToken, false)
		switch {
		case err == nil:
			before = append(slices.Clone(prev.Predecessors), prev.ID)
			if len(before) > maxPredecessors {
				before = before[len(before)-maxPredecessors:]
			}
		case !errors.Is(err, ErrUnauthorized):
			return Device{}, "", err
		}
	}
	return d.create(ctx, u.ID, label, before)
}

// maxPredecessors bounds the chain of earlier registrations a device
// carries (a tablet signed in again many times).
const maxPredecessors = 8

// Create registers a device for an already verified user.
func (d *Devices) Create(ctx context.Context, userID, label string) (Device, string, error) {
	return d.create(ctx, userID, label, nil)
}

func (d *Devices) create(ctx context.Context, userID, label string, before []string) (Device, string, error) {
	label = cleanLabel(label)
	token, revoke := newToken(tokenPrefix), newToken(revokePrefix)
	t := now()
	dev := Device{
		ID: uuid.NewString(), UserID: userID, Label: label,
		TokenHash: HashToken(token), RevokeHash: HashToken(revoke), Created: t, LastSeen: t,
		Predecessors: before,
	}
	if err := d.st.Insert(ctx, devicesColl, dev); err != nil {
		return Device{}, "", fmt.Errorf("outreach: insert device: %w", err)
	}
	dev.RevokeToken = revoke
	return dev, token, nil
}

func cleanLabel(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80])
	}
	if s == "" {
		s = "tablet"
	}
	return s
}

// byToken finds the device a token belongs to: a device token, or with
// revokeToo also a revoke-only token.
func (d *Devices) byToken(ctx context.Context, token string, revokeToo bool) (Device, error) {
	field := "token_hash"
	switch {
	case len(token) > 100:
		return Device{}, ErrUnauthorized
	case strings.HasPrefix(token, tokenPrefix):
	case revokeToo && strings.HasPrefix(token, revokePrefix):
		field = "revoke_hash"
	default:
		return Device{}, ErrUnauthorized
	}
	var dev Device
	err := d.st.C(devicesColl).FindOne(ctx, bson.D{{Key: field, Value: HashToken(token)}}).Decode(&dev)
	if err != nil {
		if store.NotFound(err) == store.ErrNotFound {
			return Device{}, ErrUnauthorized
		}
		return Device{}, fmt.Errorf("outreach: find device: %w", err)
	}
	return dev, nil
}

// Authenticate returns the device a bearer token belongs to, or
// ErrUnauthorized when it is unknown, revoked, unused for longer than the
// idle limit, or its staff member is disabled. It notes when the device
// was last seen (at most once a minute).
func (d *Devices) Authenticate(ctx context.Context, token string) (Device, error) {
	dev, err := d.byToken(ctx, token, false)
	if err != nil {
		return Device{}, err
	}
	if dev.Revoked || d.Expired(dev) {
		return Device{}, ErrUnauthorized
	}
	if d.disabled != nil {
		off, err := d.disabled(ctx, dev.UserID)
		if err != nil {
			return Device{}, fmt.Errorf("outreach: check the device's user: %w", err)
		}
		if off {
			return Device{}, ErrUnauthorized
		}
	}
	if t := now(); t.Sub(dev.LastSeen) > lastSeenEvery {
		// Only on a device still not revoked: a revocation at the same
		// moment is never written over.
		// Noting the time is not worth failing her sync over: when the
		// device's document is held by another writer (a request cut off
		// by a restart leaves its claim for the lease), wait briefly and
		// go on.
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := d.st.Update(wctx, devicesColl, bson.D{{Key: "_id", Value: dev.ID}, {Key: "revoked", Value: false}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen", Value: t}}}})
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Warn("outreach: last seen not noted", "err", err)
		case err != nil:
			return Device{}, ctx.Err()
		case !ok:
			return Device{}, ErrUnauthorized
		default:
			dev.LastSeen = t
		}
	}
	return dev, nil
}

// Get returns one device.
func (d *Devices) Get(ctx context.Context, id string) (Device, error) {
	var dev Device
	err := d.st.C(devicesColl).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&dev)
	if store.NotFound(err) == store.ErrNotFound {
		return Device{}, ErrNotFound
	}
	if err != nil {
		return Device{}, fmt.Errorf("outreach: get device: %w", err)
	}
	return dev, nil
}

// List returns every device, newest first.
func (d *Devices) List(ctx context.Context) ([]Device, error) {
	cur, err := d.st.C(devicesColl).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "created", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("outreach: list devices: %w", err)
	}
	var out []Device
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("outreach: list devices: %w", err)
	}
	return out, nil
}

// Revoke ends a device's access at once; its token never works again.
// Revoking twice is not an error.
func (d *Devices) Revoke(ctx context.Context, id, byUserID string) error {
	t := now()
	ok, err := d.st.Update(ctx, devicesColl,
		bson.D{{Key: "_id", Value: id}, {Key: "revoked", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "revoked", Value: true}, {Key: "revoked_at", Value: t}, {Key: "revoked_by", Value: byUserID},
		}}})
	if err != nil {
		return fmt.Errorf("outreach: revoke device: %w", err)
	}
	if !ok {
		if _, err := d.Get(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// RevokeByToken revokes the device a token belongs to, the device token or
// its revoke-only token: the tablet withdraws itself when it is erased. An
// expired or already revoked device is revoked all the same (no error);
// an unknown token is ErrUnauthorized.
func (d *Devices) RevokeByToken(ctx context.Context, token string) (Device, error) {
	dev, err := d.byToken(ctx, token, true)
	if err != nil {
		return Device{}, err
	}
	if err := d.Revoke(ctx, dev.ID, "device"); err != nil {
		return Device{}, err
	}
	return dev, nil
}

// RevokeUser revokes every device a staff member registered: she was
// disabled, reset or signed out everywhere.
func (d *Devices) RevokeUser(ctx context.Context, userID string) error {
	t := now()
	_, err := d.st.UpdateAll(ctx, devicesColl,
		bson.D{{Key: "user_id", Value: userID}, {Key: "revoked", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "revoked", Value: true}, {Key: "revoked_at", Value: t},
		}}})
	if err != nil {
		return fmt.Errorf("outreach: revoke the user's devices: %w", err)
	}
	return nil
}
