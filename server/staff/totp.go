package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
)

// ErrTOTPAlreadySet: the user has a second factor; an admin resets it first.
var ErrTOTPAlreadySet = errors.New("staff: the second factor is already set up")

// RecoveryCodes is how many one-time recovery codes a user gets.
const RecoveryCodes = 10

const totpPeriod = 30

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func secretCtx(userID, what string) string { return "staff:" + userID + ":" + what }

// TOTPSetup is what the set-up page shows: the secret as text and as an
// otpauth:// URL for the QR code.
type TOTPSetup struct {
	Secret string
	URL    string
}

// BeginTOTPFor returns the secret that the half-signed-in session sess
// sets up. The secret is kept with the session, sealed, and shown again to
// it (reloading the page does not invalidate a scanned code), never to
// another session of the user: someone else with her password who reaches
// the set-up step gets a secret of their own, and the first to confirm
// wins.
func (s *Service) BeginTOTPFor(ctx context.Context, u *User, sess *Session) (TOTPSetup, error) {
	if u.HasTOTP() {
		return TOTPSetup{}, ErrTOTPAlreadySet
	}
	if sess == nil || sess.UserID != u.ID {
		return TOTPSetup{}, ErrNoSession
	}
	where := secretCtx(u.ID, "totp_pending:"+sess.ID)
	if len(sess.TOTPPending) > 0 {
		if secret, err := s.seal.Open(sess.TOTPPending, where); err == nil && secret != "" {
			return TOTPSetup{Secret: secret, URL: s.otpURL(u.Email, secret)}, nil
		}
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return TOTPSetup{}, err
	}
	sealed := s.seal.Seal(secret, where)
	ok, err := s.st.Update(ctx, collectionSessions, bson.M{"_id": sess.ID, "user_id": u.ID},
		bson.M{"$set": bson.M{"totp_pending": sealed}})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("staff: keep pending secret: %w", err)
	}
	if !ok {
		return TOTPSetup{}, ErrNoSession
	}
	sess.TOTPPending = sealed
	return TOTPSetup{Secret: secret, URL: s.otpURL(u.Email, secret)}, nil
}

func newTOTPSecret() (string, error) {
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("staff: secret: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw), nil
}

// BeginTOTP returns the secret to set up for callers without a browser
// session (tools and tests); the staff pages use BeginTOTPFor. A pending
// secret is kept with the user and shown again. Sessions never see it.
func (s *Service) BeginTOTP(ctx context.Context, u *User) (TOTPSetup, error) {
	if u.HasTOTP() {
		return TOTPSetup{}, ErrTOTPAlreadySet
	}
	secret := ""
	if len(u.TOTPPending) > 0 {
		v, err := s.seal.Open(u.TOTPPending, secretCtx(u.ID, "totp_pending"))
		if err != nil {
			return TOTPSetup{}, fmt.Errorf("staff: open pending secret: %w", err)
		}
		secret = v
	}
	if secret == "" {
		var err error
		if secret, err = newTOTPSecret(); err != nil {
			return TOTPSetup{}, err
		}
		sealed := s.seal.Seal(secret, secretCtx(u.ID, "totp_pending"))
		if err := s.update(ctx, u.ID, bson.M{"totp_pending": sealed}); err != nil {
			return TOTPSetup{}, err
		}
		u.TOTPPending = sealed
	}
	return TOTPSetup{Secret: secret, URL: s.otpURL(u.Email, secret)}, nil
}

func (s *Service) otpURL(account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + s.issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// ConfirmTOTP checks a code made with the pending secret of BeginTOTP;
// when right, the secret becomes the user's second factor and fresh
// recovery codes are returned (shown once, stored only as keyed hashes).
func (s *Service) ConfirmTOTP(ctx context.Context, u *User, code, client string) ([]string, error) {
	return s.confirmTOTP(ctx, u, nil, code, client)
}

// ConfirmTOTPFor is ConfirmTOTP for the secret that sess set up with
// BeginTOTPFor.
func (s *Service) ConfirmTOTPFor(ctx context.Context, u *User, sess *Session, code, client string) ([]string, error) {
	if sess == nil || sess.UserID != u.ID {
		return nil, ErrNoSession
	}
	return s.confirmTOTP(ctx, u, sess, code, client)
}

func (s *Service) confirmTOTP(ctx context.Context, u *User, sess *Session, code, client string) ([]string, error) {
	if u.HasTOTP() {
		return nil, ErrTOTPAlreadySet
	}
	if u.MustChangePassword {
		return nil, errCodeWrong // a new password comes first
	}
	a, err := s.begin(ctx, u.Email, client)
	if err != nil {
		return nil, err
	}
	defer a.end(ctx)
	secret, cond, err := s.pendingSecret(u, sess)
	if err != nil || secret == "" {
		return nil, errCodeWrong
	}
	step, ok := codeStep(secret, code, s.now())
	if !ok {
		a.fail(ctx, u.ID, "totp_setup")
		return nil, errCodeWrong
	}
	codes, hashes := s.newRecoveryCodes(u.ID)
	ok, err = s.st.Update(ctx, collectionUsers, cond,
		bson.M{"$set": bson.M{
			"totp_secret": s.seal.Seal(secret, secretCtx(u.ID, "totp")), "totp_pending": nil,
			"totp_step": step, "recovery": hashes, "updated_at": s.now().UTC(),
		}})
	if err != nil {
		return nil, fmt.Errorf("staff: confirm totp: %w", err)
	}
	if !ok {
		if sess != nil {
			return nil, ErrTOTPAlreadySet // another session confirmed first
		}
		return nil, errCodeWrong
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.TOTPSetup})
	fresh, err := s.Get(ctx, u.ID)
	if err == nil {
		*u = *fresh
	}
	return codes, nil
}

// pendingSecret opens the secret being set up, the session's or (without
// one) the user's, and gives the condition under which it may become the
// second factor: no other confirmation came first.
func (s *Service) pendingSecret(u *User, sess *Session) (string, bson.M, error) {
	if sess == nil {
		secret, err := s.seal.Open(u.TOTPPending, secretCtx(u.ID, "totp_pending"))
		return secret, bson.M{"_id": u.ID, "totp_pending": u.TOTPPending}, err
	}
	secret, err := s.seal.Open(sess.TOTPPending, secretCtx(u.ID, "totp_pending:"+sess.ID))
	return secret, bson.M{"_id": u.ID, "totp_secret": nil, "must_change_password": bson.M{"$ne": true}}, err
}

// RenewRecoveryCodes replaces the recovery codes with new ones.
func (s *Service) RenewRecoveryCodes(ctx context.Context, u *User) ([]string, error) {
	if !u.HasTOTP() {
		return nil, ErrTOTPSetupRequired
	}
	codes, hashes := s.newRecoveryCodes(u.ID)
	if err := s.update(ctx, u.ID, bson.M{"recovery": hashes}); err != nil {
		return nil, err
	}
	u.Recovery = hashes
	return codes, nil
}

// codeStep returns the time step a 6-digit code is valid for, allowing one
// step of clock drift either way.
func codeStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
	if len(code) != 6 {
		return 0, false
	}
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func (s *Service) newRecoveryCodes(userID string) (codes, hashes []string) {
	for range RecoveryCodes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			panic("staff: no randomness: " + err.Error())
		}
		var sb strings.Builder
		for i, x := range b {
			if i == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		c := sb.String()
		codes = append(codes, c)
		hashes = append(hashes, s.recoveryHash(userID, c))
	}
	return codes, hashes
}

func normalizeRecovery(c string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(c)))
}

func (s *Service) recoveryHash(userID, code string) string {
	return hex.EncodeToString(s.seal.MAC("staff-recovery", userID, normalizeRecovery(code)))
}

// verifySecondFactor accepts a current TOTP code (once: a replayed code is
// refused) or an unused recovery code (then used up).
func (s *Service) verifySecondFactor(ctx context.Context, u *User, code string) (recovery bool, err error) {
	if !u.HasTOTP() {
		return false, ErrTOTPSetupRequired
	}
	secret, err := s.seal.Open(u.TOTPSecret, secretCtx(u.ID, "totp"))
	if err != nil {
		return false, fmt.Errorf("staff: open totp secret: %w", err)
	}
	if step, ok := codeStep(secret, code, s.now()); ok {
		// The conditional update (checked when written: see package store)
		// makes a code single-use even when two instances see it at once,
		// and refuses an older code after a newer one.
		ok, err := s.st.Update(ctx, collectionUsers,
			bson.M{"_id": u.ID, "totp_step": bson.M{"$lt": step}},
			bson.M{"$set": bson.M{"totp_step": step}})
		if err != nil {
			return false, fmt.Errorf("staff: record totp step: %w", err)
		}
		if !ok {
			return false, errCodeWrong
		}
		return false, nil
	}
	if n := normalizeRecovery(code); len(n) == 10 {
		h := s.recoveryHash(u.ID, n)
		ok, err := s.st.Update(ctx, collectionUsers,
			bson.M{"_id": u.ID, "recovery": h},
			bson.M{"$pull": bson.M{"recovery": h}})
		if err != nil {
			return false, fmt.Errorf("staff: use recovery code: %w", err)
		}
		if ok {
			s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.RecoveryUsed})
			return true, nil
		}
	}
	return false, errCodeWrong
}
