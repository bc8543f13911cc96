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

// BeginTOTP returns the secret to set up. A pending secret is kept and
// shown again, so reloading the page does not invalidate a scanned code.
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
		raw := make([]byte, 20)
		if _, err := rand.Read(raw); err != nil {
			return TOTPSetup{}, fmt.Errorf("staff: secret: %w", err)
		}
		secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
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

// ConfirmTOTP checks a code made with the pending secret; when right, the
// secret becomes the user's second factor and fresh recovery codes are
// returned (shown once, stored only as keyed hashes).
func (s *Service) ConfirmTOTP(ctx context.Context, u *User, code, client string) ([]string, error) {
	if u.HasTOTP() {
		return nil, ErrTOTPAlreadySet
	}
	a, err := s.begin(ctx, u.Email, client)
	if err != nil {
		return nil, err
	}
	defer a.end(ctx)
	secret, err := s.seal.Open(u.TOTPPending, secretCtx(u.ID, "totp_pending"))
	if err != nil || secret == "" {
		return nil, ErrCredentials
	}
	step, ok := codeStep(secret, code, s.now())
	if !ok {
		a.fail(ctx, u.ID, "totp_setup")
		return nil, ErrCredentials
	}
	codes, hashes := s.newRecoveryCodes(u.ID)
	ok, err = s.st.Update(ctx, collectionUsers,
		bson.M{"_id": u.ID, "totp_pending": u.TOTPPending},
		bson.M{"$set": bson.M{
			"totp_secret": s.seal.Seal(secret, secretCtx(u.ID, "totp")), "totp_pending": nil,
			"totp_step": step, "recovery": hashes, "updated_at": s.now().UTC(),
		}})
	if err != nil {
		return nil, fmt.Errorf("staff: confirm totp: %w", err)
	}
	if !ok {
		return nil, ErrCredentials
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.TOTPSetup})
	fresh, err := s.Get(ctx, u.ID)
	if err == nil {
		*u = *fresh
	}
	return codes, nil
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
			return false, ErrCredentials
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
	return false, ErrCredentials
}
