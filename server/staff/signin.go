package staff

import (
	"context"
	"errors"

	"github.com/gehoord/gehoord/server/audit"
)

// checkLimits refuses when the account or the client has failed too often.
// Only failures count, so a busy office behind one address is not locked
// out by its own successful sign-ins.
func (s *Service) checkLimits(ctx context.Context, email, client string) error {
	if blocked, _, err := s.account.Blocked(ctx, NormalizeEmail(email)); err != nil {
		return err
	} else if blocked {
		s.record(ctx, audit.Entry{Action: audit.SignInFailed, Detail: "rate_limited_account"})
		return ErrRateLimited
	}
	if client != "" {
		if blocked, _, err := s.client.Blocked(ctx, client); err != nil {
			return err
		} else if blocked {
			s.record(ctx, audit.Entry{Action: audit.SignInFailed, Detail: "rate_limited_client"})
			return ErrRateLimited
		}
	}
	return nil
}

func (s *Service) failed(ctx context.Context, email, client, userID, step string) {
	if _, _, err := s.account.Hit(ctx, NormalizeEmail(email)); err != nil {
		s.log.Error("staff: count failed sign-in", "err", err)
	}
	if client != "" {
		if _, _, err := s.client.Hit(ctx, client); err != nil {
			s.log.Error("staff: count failed sign-in", "err", err)
		}
	}
	s.record(ctx, audit.Entry{UserID: userID, Action: audit.SignInFailed, Detail: step})
}

// CheckPassword is the first step of signing in. client identifies the
// caller for the per-client limit (the handler passes the remote address;
// only a keyed hash of it is stored, per window). Every failure answers
// ErrCredentials, whatever was wrong.
func (s *Service) CheckPassword(ctx context.Context, email, password, client string) (*User, error) {
	if err := s.checkLimits(ctx, email, client); err != nil {
		return nil, err
	}
	u, err := s.ByEmail(ctx, email)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		checkPassword(dummyHash, password)
		s.failed(ctx, email, client, "", "password")
		return nil, ErrCredentials
	}
	if !checkPassword(u.PasswordHash, password) || u.Disabled {
		s.failed(ctx, email, client, u.ID, "password")
		return nil, ErrCredentials
	}
	return u, nil
}

// SecondFactor is the second step: a TOTP code or a recovery code.
func (s *Service) SecondFactor(ctx context.Context, u *User, code, client string) error {
	if err := s.checkLimits(ctx, u.Email, client); err != nil {
		return err
	}
	if _, err := s.verifySecondFactor(ctx, u, code); err != nil {
		if errors.Is(err, ErrCredentials) {
			s.failed(ctx, u.Email, client, u.ID, "code")
		}
		return err
	}
	return nil
}

// Authenticate checks all three at once, for clients without pages (the
// outreach app registering a device). It answers ErrTOTPSetupRequired when
// the user has not set up the second factor yet (done in the staff pages).
func (s *Service) Authenticate(ctx context.Context, email, password, code string) (*User, error) {
	return s.AuthenticateFrom(ctx, email, password, code, "")
}

// AuthenticateFrom is Authenticate with a client key for the per-client limit.
func (s *Service) AuthenticateFrom(ctx context.Context, email, password, code, client string) (*User, error) {
	u, err := s.CheckPassword(ctx, email, password, client)
	if err != nil {
		return nil, err
	}
	if !u.HasTOTP() {
		return nil, ErrTOTPSetupRequired
	}
	if err := s.SecondFactor(ctx, u, code, client); err != nil {
		return nil, err
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.SignIn, Detail: "api"})
	return u, nil
}
