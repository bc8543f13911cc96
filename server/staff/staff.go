// Package staff holds the desk's staff accounts: argon2id passwords, a TOTP
// second factor with one-time recovery codes, roles, server-side sessions in
// the database and sign-in rate limits that every instance shares.
package staff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

// Roles.
const (
	RoleAdmin       = "admin"       // users, devices, settings, audit log (and every case)
	RoleCoordinator = "coordinator" // all cases, themes, reports, cards, social map
	RoleHandler     = "handler"     // cases assigned to them and the unassigned inbox
	RoleOutreach    = "outreach"    // the outreach app only; never the case list
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleCoordinator, RoleHandler, RoleOutreach}

// Languages staff pages come in.
var Languages = []string{"nl", "en"}

const (
	collectionUsers    = "staff_users"
	collectionSessions = "sessions"
)

// Errors callers map to answers: faults with the message the staff pages
// show for them (a form shows its refusal itself, with the fault's key and
// the status of its code).
var (
	ErrNotFound = store.ErrNotFound
	// ErrCredentials: wrong e-mail, password or code (never says which).
	// A 422, not a 401: the form is shown again with the message.
	ErrCredentials = fault.New(fault.Invalid, "staff.signin.failed", "staff: wrong e-mail address, password or code")
	// ErrRateLimited: too many failed attempts from this client, for this
	// account or for all.
	ErrRateLimited = retryAfter(fault.New(fault.TooMany, "staff.signin.limited", "staff: too many sign-in attempts"), 15*time.Minute)
	// ErrTOTPSetupRequired: the account has no second factor yet.
	ErrTOTPSetupRequired = errors.New("staff: the second factor is not set up")
	// ErrDisabled: the account is disabled.
	ErrDisabled   = errors.New("staff: account disabled")
	ErrEmailTaken = fault.New(fault.Invalid, "staff.users.error_taken", "staff: a user with this e-mail address exists")
	ErrEmail      = fault.New(fault.Invalid, "staff.users.error_email", "staff: not an e-mail address")
	ErrRole       = fault.New(fault.Invalid, "staff.users.error_role", "staff: unknown role")
	ErrPassword   = fault.New(fault.Invalid, "staff.password.error_length", "staff: password must be 12 to 1024 characters")
	ErrName       = fault.New(fault.Invalid, "staff.users.error_name", "staff: name too long")
	// ErrPasswordReused: the new password is the one it replaces.
	ErrPasswordReused = fault.New(fault.Invalid, "staff.password.error_same", "staff: the new password is the old one")
)

// The same refusals where a page says them in its own words; each still
// matches its sentinel with errors.Is.
var (
	// errCodeWrong: a second-factor code that is not right.
	errCodeWrong = keyed(ErrCredentials, "staff.signin.code_wrong")
	// errCurrentWrong: changing the password, the current one or the code
	// is not right.
	errCurrentWrong = keyed(ErrCredentials, "staff.password.error_current")
	// errTemporary: an admin's password for a new or reset user.
	errTemporary = keyed(ErrPassword, "staff.users.error_password")
)

func retryAfter(e *fault.Error, d time.Duration) *fault.Error {
	e.RetryAfter = d
	return e
}

func keyed(e *fault.Error, key string) *fault.Error {
	c := e.With()
	c.Key = key
	return c
}

// User is one staff member. Secrets are sealed and never leave the package.
type User struct {
	ID        string    `bson:"_id"`
	Email     string    `bson:"email"` // lower case, unique
	Name      string    `bson:"name"`
	Role      string    `bson:"role"`
	Lang      string    `bson:"lang"`
	Disabled  bool      `bson:"disabled"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at"`

	PasswordHash string `bson:"password_hash"`
	// TOTPSecret is the confirmed secret, sealed; TOTPPending one being set up.
	TOTPSecret  []byte `bson:"totp_secret"`
	TOTPPending []byte `bson:"totp_pending"`
	// TOTPStep is the last time step a code was accepted for, so a code
	// works once.
	TOTPStep int64 `bson:"totp_step"`
	// Recovery holds keyed hashes of the unused recovery codes.
	Recovery []string `bson:"recovery"`
	// MustChangePassword: an admin reset handed over a temporary password;
	// the next sign-in chooses a new one before anything else.
	MustChangePassword bool `bson:"must_change_password"`
}

// HasTOTP says whether the second factor is set up.
func (u *User) HasTOTP() bool { return len(u.TOTPSecret) > 0 }

// RecoveryLeft is how many recovery codes remain.
func (u *User) RecoveryLeft() int { return len(u.Recovery) }

// DisplayName is the name, or the e-mail address without one.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Config holds what the service needs. Audit may be nil (tests).
type Config struct {
	Store  *store.Store
	Sealer *seal.Sealer
	Audit  *audit.Log
	Logger *slog.Logger
	Now    func() time.Time
	// LimitNow is the sign-in limits' clock (nil: Now). Their windows are
	// fixed quarter hours, so tests pin it.
	LimitNow func() time.Time
	// Issuer is the name authenticator apps show (default "Gehoord").
	Issuer string
	// Limits; zero values take the defaults. An account is never locked
	// for everyone: the limits that refuse are per client address.
	AccountLimit int // failed attempts per account from one client per window (10)
	ClientLimit  int // failed attempts per client, all accounts, per window (50)
	// SlowAfter failed attempts per account from all clients in a window
	// (30), each further attempt on it waits SlowDelay (1 s) before it is
	// checked.
	SlowAfter     int
	SlowDelay     time.Duration
	LimitWindow   time.Duration // 15 minutes
	IdleTimeout   time.Duration // 30 minutes
	AbsoluteLimit time.Duration // 12 hours
}

// Service manages staff users and their sessions.
type Service struct {
	st      *store.Store
	seal    *seal.Sealer
	audit   *audit.Log
	log     *slog.Logger
	now     func() time.Time
	issuer  string
	account *ratelimit.Limiter // per account and client
	client  *ratelimit.Limiter
	// slowAccount counts failures per account from everywhere; over it,
	// attempts wait slowDelay.
	slowAccount *ratelimit.Limiter
	slowDelay   time.Duration
	idle        time.Duration
	absolute    time.Duration
	// signedOut is told when a user is signed out everywhere (also on
	// disable, new password, second-factor reset), so her devices stop
	// getting pushes.
	signedOut []func(ctx context.Context, userID string) error
}

// OnSignedOutEverywhere registers f to run whenever a user's sessions all
// end: "sign out everywhere", disabling, a new password set for her, a
// second-factor reset, an admin's reset.
func (s *Service) OnSignedOutEverywhere(f func(ctx context.Context, userID string) error) {
	s.signedOut = append(s.signedOut, f)
}

// New builds the service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.LimitNow == nil {
		c.LimitNow = c.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Issuer == "" {
		c.Issuer = "Gehoord"
	}
	if c.AccountLimit == 0 {
		c.AccountLimit = 10
	}
	if c.ClientLimit == 0 {
		c.ClientLimit = 50
	}
	if c.SlowAfter == 0 {
		c.SlowAfter = 30
	}
	if c.SlowDelay == 0 {
		c.SlowDelay = time.Second
	}
	if c.LimitWindow == 0 {
		c.LimitWindow = 15 * time.Minute
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.AbsoluteLimit == 0 {
		c.AbsoluteLimit = 12 * time.Hour
	}
	return &Service{
		st: c.Store, seal: c.Sealer, audit: c.Audit, log: c.Logger, now: c.Now, issuer: c.Issuer,
		account:     ratelimit.New(c.Store, c.Sealer, "signin-account-client", c.AccountLimit, c.LimitWindow, c.LimitNow),
		client:      ratelimit.New(c.Store, c.Sealer, "signin-client", c.ClientLimit, c.LimitWindow, c.LimitNow),
		slowAccount: ratelimit.New(c.Store, c.Sealer, "signin-account", c.SlowAfter, c.LimitWindow, c.LimitNow),
		slowDelay:   c.SlowDelay,
		idle:        c.IdleTimeout,
		absolute:    c.AbsoluteLimit,
	}
}

// Indexes the package needs.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: collectionUsers, Keys: bson.D{{Key: "email", Value: 1}}, Unique: true, Name: "email_unique"},
		{Collection: collectionSessions, Keys: bson.D{{Key: "user_id", Value: 1}}, Name: "user_id"},
	}
}

// EnsureIndexes creates the indexes.
func (s *Service) EnsureIndexes(ctx context.Context) error {
	return s.st.EnsureIndexes(ctx, Indexes()...)
}

func (s *Service) record(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if err := s.audit.Record(ctx, e); err != nil {
		s.log.Error("staff: audit", "action", e.Action, "err", err)
	}
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// NewUser is what Create needs.
type NewUser struct {
	Email, Name, Role, Lang, Password string
}

// Create adds a user. The password is hashed with argon2id; the second
// factor is set up at the first sign-in.
func (s *Service) Create(ctx context.Context, n NewUser) (*User, error) {
	email := NormalizeEmail(n.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, ErrEmail
	}
	if !slices.Contains(Roles, n.Role) {
		return nil, ErrRole
	}
	if !validPassword(n.Password) {
		return nil, errTemporary
	}
	name := strings.TrimSpace(n.Name)
	if utf8.RuneCountInString(name) > 100 {
		return nil, ErrName
	}
	lang := n.Lang
	if !slices.Contains(Languages, lang) {
		lang = "nl"
	}
	hash, err := hashPassword(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &User{
		ID: uuid.NewString(), Email: email, Name: name, Role: n.Role, Lang: lang,
		CreatedAt: now, UpdatedAt: now, PasswordHash: hash, Recovery: []string{},
	}
	if err := s.st.Insert(ctx, collectionUsers, u); err != nil {
		if store.IsDuplicate(err) {
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("staff: create user: %w", err)
	}
	return u, nil
}

// Get returns a user by id.
func (s *Service) Get(ctx context.Context, id string) (*User, error) {
	var u User
	if err := s.st.C(collectionUsers).FindOne(ctx, bson.M{"_id": id}).Decode(&u); err != nil {
		return nil, fmt.Errorf("staff: get user: %w", store.NotFound(err))
	}
	return &u, nil
}

// ByEmail returns a user by e-mail address.
func (s *Service) ByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.st.C(collectionUsers).FindOne(ctx, bson.M{"email": NormalizeEmail(email)}).Decode(&u); err != nil {
		return nil, fmt.Errorf("staff: user by email: %w", store.NotFound(err))
	}
	return &u, nil
}

// List returns every user, by e-mail address.
func (s *Service) List(ctx context.Context) ([]User, error) {
	return s.find(ctx, bson.M{})
}

// ListActive returns the users that are not disabled.
func (s *Service) ListActive(ctx context.Context) ([]User, error) {
	return s.find(ctx, bson.M{"disabled": false})
}

// ListByRole returns active users with one of roles.
func (s *Service) ListByRole(ctx context.Context, roles ...string) ([]User, error) {
	return s.find(ctx, bson.M{"disabled": false, "role": bson.M{"$in": roles}})
}

func (s *Service) find(ctx context.Context, q bson.M) ([]User, error) {
	cur, err := s.st.C(collectionUsers).Find(ctx, q, options.Find().SetSort(bson.D{{Key: "email", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("staff: list users: %w", err)
	}
	out := []User{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("staff: list users: %w", err)
	}
	return out, nil
}

// Count returns the number of users (serve uses it to tell how to create
// the first admin on an empty database).
func (s *Service) Count(ctx context.Context) (int64, error) {
	n, err := s.st.C(collectionUsers).CountDocuments(ctx, bson.M{})
	if err != nil {
		return 0, fmt.Errorf("staff: count users: %w", err)
	}
	return n, nil
}

func (s *Service) update(ctx context.Context, id string, set bson.M) error {
	set["updated_at"] = s.now().UTC()
	ok, err := s.st.Update(ctx, collectionUsers, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("staff: update user: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// SetDisabled disables or enables a user; disabling ends every session.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) error {
	if err := s.update(ctx, id, bson.M{"disabled": disabled}); err != nil {
		return err
	}
	if disabled {
		return s.EndAllSessions(ctx, id)
	}
	return nil
}

// SetLang sets the language of the user's staff pages.
func (s *Service) SetLang(ctx context.Context, id, lang string) error {
	if !slices.Contains(Languages, lang) {
		lang = "nl"
	}
	return s.update(ctx, id, bson.M{"lang": lang})
}

// SetRole changes a user's role.
func (s *Service) SetRole(ctx context.Context, id, role string) error {
	if !slices.Contains(Roles, role) {
		return ErrRole
	}
	return s.update(ctx, id, bson.M{"role": role})
}

// SetPassword replaces the password and ends every session.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	if err := s.writePassword(ctx, bson.M{"_id": id}, password, bson.M{"must_change_password": false}); err != nil {
		return err
	}
	return s.EndAllSessions(ctx, id)
}

// writePassword checks the length, hashes and stores a password in the one
// user that matches filter, with the other fields in set.
func (s *Service) writePassword(ctx context.Context, filter bson.M, password string, set bson.M) error {
	if !validPassword(password) {
		return ErrPassword
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return err
	}
	set["password_hash"] = hash
	set["updated_at"] = s.now().UTC()
	ok, err := s.st.Update(ctx, collectionUsers, filter, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("staff: set password: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// ResetTOTP removes the second factor and the recovery codes: the user sets
// up a new one at the next sign-in. Every session ends.
func (s *Service) ResetTOTP(ctx context.Context, id string) error {
	err := s.update(ctx, id, bson.M{"totp_secret": nil, "totp_pending": nil, "totp_step": int64(0), "recovery": []string{}})
	if err != nil {
		return err
	}
	return s.EndAllSessions(ctx, id)
}
