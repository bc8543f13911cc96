package staff

import (
	"context"
	"errors"
	"time"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/ratelimit"
)

// attempt is one sign-in step, counted before it is checked against the
// client address, the account from that address, and the account from
// everywhere.
type attempt struct {
	s                  *Service
	client, pair, slow *ratelimit.Attempt
	failed             bool
}

// begin counts a sign-in step and refuses it when its client address is
// over its limit, or has failed too often for this account. Counting comes
// first so that parallel tries cannot all pass a check made before any of
// them counts. The caller checks the step only when begin allows it, and
// defers end.
//
// Failures for the account from every address together never refuse: an
// attacker with many addresses could otherwise lock her out. Over that
// limit each step waits a little before it is checked instead.
func (s *Service) begin(ctx context.Context, email, client string) (*attempt, error) {
	email = NormalizeEmail(email)
	a := &attempt{s: s}
	if client != "" {
		cl, err := s.client.Take(ctx, client)
		if err != nil {
			return nil, err
		}
		if !cl.Allowed {
			s.record(ctx, audit.Entry{Action: audit.SignInFailed, Detail: "rate_limited_client"})
			return nil, ErrRateLimited
		}
		a.client = cl
	}
	pair, err := s.account.Take(ctx, email+"\x00"+client)
	if err != nil {
		a.end(ctx)
		return nil, err
	}
	if !pair.Allowed {
		// Not checked, so not counted against the client either.
		a.end(ctx)
		s.record(ctx, audit.Entry{Action: audit.SignInFailed, Detail: "rate_limited_account"})
		return nil, ErrRateLimited
	}
	a.pair = pair
	slow, err := s.slowAccount.Take(ctx, email)
	if err != nil {
		a.end(ctx)
		return nil, err
	}
	if slow.Allowed {
		a.slow = slow
		return a, nil
	}
	// Under attack from many addresses: slow down, never lock. (The
	// refused count was taken back, so the account stays over its limit
	// until the window ends and not longer.)
	t := time.NewTimer(s.slowDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return a, nil
	case <-ctx.Done():
		a.end(ctx)
		return nil, ctx.Err()
	}
}

// fail records a failed step, which stays counted.
func (a *attempt) fail(ctx context.Context, userID, step string) {
	a.failed = true
	a.s.record(ctx, audit.Entry{UserID: userID, Action: audit.SignInFailed, Detail: step})
}

// end takes back a step that did not fail: only failures count, so a busy
// office behind one address, or a staff member signing in often, is not
// locked out by its own successful sign-ins.
func (a *attempt) end(ctx context.Context) {
	if a.failed {
		return
	}
	for _, t := range []*ratelimit.Attempt{a.client, a.pair, a.slow} {
		if err := t.Undo(ctx); err != nil {
			a.s.log.Error("staff: take back sign-in attempt", "err", err)
		}
	}
}

// CheckPassword is the first step of signing in. client identifies the
// caller for the per-client limit (the handler passes the remote address;
// only a keyed hash of it is stored, per window). Every failure answers
// ErrCredentials, whatever was wrong.
func (s *Service) CheckPassword(ctx context.Context, email, password, client string) (*User, error) {
	a, err := s.begin(ctx, email, client)
	if err != nil {
		return nil, err
	}
	defer a.end(ctx)
	u, err := s.ByEmail(ctx, email)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if _, err := checkPassword(ctx, dummyHash, password); err != nil {
			return nil, err // busy: not checked, so not counted
		}
		a.fail(ctx, "", "password")
		return nil, ErrCredentials
	}
	ok, err := checkPassword(ctx, u.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok || u.Disabled {
		a.fail(ctx, u.ID, "password")
		return nil, ErrCredentials
	}
	return u, nil
}

// SecondFactor is the second step: a TOTP code or a recovery code.
func (s *Service) SecondFactor(ctx context.Context, u *User, code, client string) error {
	a, err := s.begin(ctx, u.Email, client)
	if err != nil {
		return err
	}
	defer a.end(ctx)
	if _, err := s.verifySecondFactor(ctx, u, code); err != nil {
		if errors.Is(err, ErrCredentials) {
			a.fail(ctx, u.ID, "code")
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
