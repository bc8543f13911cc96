// Package outreach holds what the offline outreach app needs on the server:
// registered devices with long-lived, revocable bearer tokens (kept only as
// SHA-256 hashes), the rounds and QR-card counts of a visit, and the sync
// service that turns a batch from a tablet into cases, one result per item.
//
// It does not import Fiber. Staff sign-in and case intake come in through
// small interfaces (Authenticator, Intake, CardCounter) so the package can be
// tested and wired without knowing how those are built.
package outreach

import (
	"context"
	"time"

	"github.com/gehoord/gehoord/server/fault"
)

// Errors returned by the services: faults whose code is the status the
// app's API answers with and whose key is what the tablet shows.
var (
	// ErrUnauthorized: unknown, malformed or revoked device token.
	ErrUnauthorized = fault.New(fault.Unauthorized, "app.device.revoked", "outreach: device not authorised")
	// ErrSignIn: the staff credentials did not verify.
	ErrSignIn = fault.New(fault.Unauthorized, "app.signin.failed", "outreach: sign-in failed")
	// ErrForbidden: the user may not register outreach devices.
	ErrForbidden = fault.New(fault.Forbidden, "app.signin.role_not_allowed", "outreach: role may not register devices")
	// ErrNotFound: no such device.
	ErrNotFound = fault.New(fault.NotFound, "error.not_found", "outreach: not found")
	// ErrRateLimited: too many failed sign-ins (the Authenticator says so).
	ErrRateLimited = fault.New(fault.TooMany, "app.signin.too_many", "outreach: too many sign-in attempts")
	// ErrSecondFactorSetup: the user must set up the second factor in the
	// staff pages before registering a tablet.
	ErrSecondFactorSetup = fault.New(fault.Forbidden, "app.signin.no_second_factor", "outreach: second factor not set up")
	// ErrTooMany: a sync batch over MaxBatch items.
	ErrTooMany = fault.New(fault.TooLarge, "error.too_large", "outreach: too many items in one batch")
)

// MaxBatch is the most items (reports plus cards plus rounds) one sync
// request may carry.
const MaxBatch = 500

// User is a signed-in staff member as the staff package reports it.
type User struct {
	ID   string
	Role string
}

// Authenticator verifies staff credentials (password and TOTP or recovery
// code); client identifies the caller for sign-in rate limits. The staff
// package's service satisfies it through a small adapter (see server/wire).
// Wrong credentials must come back as ErrSignIn; too many failures as
// ErrRateLimited; a user without a second factor as ErrSecondFactorSetup;
// any other error is taken as the server failing.
type Authenticator interface {
	Authenticate(ctx context.Context, email, password, code, client string) (User, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, email, password, code, client string) (User, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, email, password, code, client string) (User, error) {
	return f(ctx, email, password, code, client)
}

// RolesAllowed are the staff roles that may register a tablet.
var RolesAllowed = map[string]bool{"outreach": true, "coordinator": true, "admin": true}

// Device is one registered tablet.
type Device struct {
	ID        string     `bson:"_id" json:"id"`
	UserID    string     `bson:"user_id" json:"user_id"`
	Label     string     `bson:"label" json:"label"`
	TokenHash []byte     `bson:"token_hash" json:"-"`
	Created   time.Time  `bson:"created" json:"created"`
	LastSeen  time.Time  `bson:"last_seen" json:"last_seen"`
	Revoked   bool       `bson:"revoked" json:"revoked"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`
	RevokedBy string     `bson:"revoked_by,omitempty" json:"-"`
	// RevokeHash is the SHA-256 of a second token that can only revoke
	// this device. The app keeps it outside its vault, so "erase
	// everything" withdraws the tablet even when the passphrase is lost.
	RevokeHash []byte `bson:"revoke_hash,omitempty" json:"-"`
	// Predecessors are the earlier registrations of the same tablet (it
	// proved each with its old token when signing in again): items it
	// sealed under those ids are its own.
	Predecessors []string `bson:"predecessors,omitempty" json:"-"`
	// RevokeToken is set only on the Device that Create returns (shown
	// once, like the token); it is never stored.
	RevokeToken string `bson:"-" json:"-"`
}

// now is replaced in tests.
var now = func() time.Time { return time.Now().UTC() }
