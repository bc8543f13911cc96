// Package audit keeps the append-only log of who read or changed what: every
// view of a case file, every change, every export, every sign-in and failed
// sign-in. The package has no update or delete: the application cannot edit
// its own history.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

const collection = "audit_log"

// Actions written to the log. Case actions carry the case id.
const (
	CaseView      = "case.view"
	CaseChange    = "case.change"
	CaseContact   = "case.contact" // contact details were shown
	CaseExport    = "case.export"
	SignIn        = "signin"
	SignInFailed  = "signin.failed"
	SignOut       = "signout"
	SignOutAll    = "signout.all"
	TOTPSetup     = "totp.setup"
	RecoveryUsed  = "totp.recovery_used"
	UserAdd       = "user.add"
	UserChange    = "user.change"
	ThemeChange   = "theme.change"
	ThemeView     = "theme.view"
	AuditView     = "audit.view"
	RetentionRun  = "retention.run"
	ReportsExport = "reports.export"
	TextChange    = "text.change"
	// AccessDenied: a signed-in user (or a request without a valid CSRF
	// token) was refused a staff page or action (403).
	AccessDenied = "access.denied"
	// RetentionDryRun: someone looked at what retention would erase.
	RetentionDryRun = "retention.dry_run"
	// ReferralChange: a referral was proposed or its follow-up changed.
	ReferralChange = "referral.change"
)

// Actions lists the actions the audit page filters on: only actions the
// code writes (a test checks), so a filter never promises what is not
// kept. CaseExport and ReportsExport join when an export exists.
var Actions = []string{
	CaseView, CaseChange, CaseContact, SignIn, SignInFailed, SignOut, SignOutAll,
	TOTPSetup, RecoveryUsed, UserAdd, UserChange, ThemeChange, ThemeView, AuditView, RetentionRun,
	TextChange, AccessDenied, RetentionDryRun, ReferralChange,
}

// Entry is one line of the log. Detail holds small non-personal facts (the
// event type, the new state): never free text a complainant wrote.
type Entry struct {
	ID     string    `bson:"_id"`
	At     time.Time `bson:"at"`
	UserID string    `bson:"user_id"` // staff user id, "system", or "" when unknown
	Action string    `bson:"action"`
	CaseID string    `bson:"case_id"`
	Target string    `bson:"target"` // another object: a user, a theme, a device
	Detail string    `bson:"detail"`
	// From and To say what a change changed (a state, an assignee, a
	// priority): codes and ids, never free text.
	From string `bson:"from,omitempty"`
	To   string `bson:"to,omitempty"`
	// Count is how many things an action touched (a retention run's cases).
	Count int `bson:"count,omitempty"`
}

// Log writes and reads the audit log.
type Log struct {
	st  *store.Store
	now func() time.Time
}

// New returns the log on st.
func New(st *store.Store) *Log { return &Log{st: st, now: time.Now} }

// Indexes the log needs.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: collection, Keys: bson.D{{Key: "at", Value: -1}}, Name: "at"},
		{Collection: collection, Keys: bson.D{{Key: "case_id", Value: 1}, {Key: "at", Value: -1}}, Name: "case_at"},
		{Collection: collection, Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}}, Name: "user_at"},
	}
}

// Record appends e; ID and At are filled when empty.
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = l.now().UTC()
	}
	if err := l.st.Insert(ctx, collection, e); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Filter selects entries; empty fields match everything.
type Filter struct {
	UserID string
	Action string
	CaseID string
	From   time.Time
	To     time.Time // exclusive
	Limit  int       // default 200, at most 1000
	Skip   int
}

// List returns entries matching f, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	q := bson.M{}
	if f.UserID != "" {
		q["user_id"] = f.UserID
	}
	if f.Action != "" {
		q["action"] = f.Action
	}
	if f.CaseID != "" {
		q["case_id"] = f.CaseID
	}
	at := bson.M{}
	if !f.From.IsZero() {
		at["$gte"] = f.From
	}
	if !f.To.IsZero() {
		at["$lt"] = f.To
	}
	if len(at) > 0 {
		q["at"] = at
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	cur, err := l.st.C(collection).Find(ctx, q, options.Find().
		SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(f.Limit)).SetSkip(int64(f.Skip)))
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	out := []Entry{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}
