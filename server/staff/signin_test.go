package staff_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// parallel runs n attempts released at once and tallies their outcomes:
// ErrCredentials means the attempt was evaluated (and failed),
// ErrRateLimited that it was refused before.
func parallel(t *testing.T, n int, attempt func(i int) error) (wrong, limited int) {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
		other []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := attempt(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, staff.ErrCredentials):
				wrong++
			case errors.Is(err, staff.ErrRateLimited):
				limited++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("%d attempts neither wrong nor limited, first: %v", len(other), other[0])
	}
	return wrong, limited
}

// failedIn counts the failed sign-ins the audit log holds for a step.
func failedIn(t *testing.T, a *audit.Log, step string) int {
	t.Helper()
	es, err := a.List(t.Context(), audit.Filter{Action: audit.SignInFailed, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Detail == step {
			n++
		}
	}
	return n
}

// wrongCode is a six-digit code that is not valid now (nor a step either
// side).
func wrongCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, off := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.GenerateCode(secret, now.Add(off))
		if err != nil {
			t.Fatal(err)
		}
		valid[c] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !valid[c] {
			return c
		}
	}
}

// Parallel wrong codes for one account from one address: only as many are
// checked as the limit per account and address allows (10 by default).
func TestParallelWrongCodesHeldToAccountLimit(t *testing.T) {
	clk := newClock()
	st := storetest.New(t)
	a := audit.New(st)
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), Audit: a, Now: clk.Now})
	u, secret, _ := setUp(t, s, clk.Now)
	code := wrongCode(t, secret, clk.Now())
	wrong, limited := parallel(t, 60, func(int) error {
		return s.SecondFactor(t.Context(), u, code, "198.51.100.1")
	})
	if wrong > 10 {
		t.Fatalf("%d of 60 parallel wrong codes checked (%d refused), limit 10", wrong, limited)
	}
	if n := failedIn(t, a, "code"); n > 10 {
		t.Fatalf("%d failed code checks in the audit log, limit 10", n)
	}
}

// The same for the code that confirms a new authenticator.
func TestParallelWrongSetupCodesHeldToAccountLimit(t *testing.T) {
	clk := newClock()
	s, _, a := newService(t, clk.Now) // account limit 5
	u, err := s.Create(t.Context(), staff.NewUser{Email: "d@desk.test", Role: "handler", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	setup, err := s.BeginTOTP(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	code := wrongCode(t, setup.Secret, clk.Now())
	wrong, limited := parallel(t, 60, func(int) error {
		_, err := s.ConfirmTOTP(t.Context(), u, code, "198.51.100.1")
		return err
	})
	if wrong > 5 {
		t.Fatalf("%d of 60 parallel wrong set-up codes checked (%d refused), limit 5", wrong, limited)
	}
	if n := failedIn(t, a, "totp_setup"); n > 5 {
		t.Fatalf("%d failed set-up codes in the audit log, limit 5", n)
	}
}

// Parallel wrong passwords for one account from one address.
func TestParallelWrongPasswordsHeldToAccountLimit(t *testing.T) {
	s, _, a := newService(t, nil) // account limit 5
	if _, err := s.Create(t.Context(), staff.NewUser{Email: "e@desk.test", Role: "handler", Password: pw}); err != nil {
		t.Fatal(err)
	}
	wrong, limited := parallel(t, 60, func(int) error {
		_, err := s.CheckPassword(t.Context(), "e@desk.test", "wrong password!", "198.51.100.1")
		return err
	})
	if wrong > 5 {
		t.Fatalf("%d of 60 parallel wrong passwords checked (%d refused), limit 5", wrong, limited)
	}
	if n := failedIn(t, a, "password"); n > 5 {
		t.Fatalf("%d failed passwords in the audit log, limit 5", n)
	}
}

// Parallel wrong passwords from one address, each for another account.
func TestParallelWrongPasswordsHeldToClientLimit(t *testing.T) {
	st := storetest.New(t)
	a := audit.New(st)
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), Audit: a, ClientLimit: 10, LimitNow: pinnedLimits})
	wrong, limited := parallel(t, 60, func(i int) error {
		_, err := s.CheckPassword(t.Context(), fmt.Sprintf("nobody%d@desk.test", i), "wrong password!", "203.0.113.5")
		return err
	})
	if wrong > 10 {
		t.Fatalf("%d of 60 parallel wrong passwords from one client checked (%d refused), limit 10", wrong, limited)
	}
	if n := failedIn(t, a, "password"); n > 10 {
		t.Fatalf("%d failed passwords in the audit log, limit 10", n)
	}
}

// A staff member who signs in correctly many times is not locked out by
// her own successes; failures still count.
func TestCorrectSignInsDoNotCount(t *testing.T) {
	clk := newClock()
	s, _, _ := newService(t, clk.Now) // account limit 5
	u, secret, _ := setUp(t, s, clk.Now)
	for i := range 12 {
		clk.Add(30 * time.Second)
		code, _ := totp.GenerateCode(secret, clk.Now())
		if _, err := s.AuthenticateFrom(t.Context(), u.Email, pw, code, "192.0.2.1"); err != nil {
			t.Fatalf("correct sign-in %d: %v", i+1, err)
		}
	}
	for i := range 5 {
		if _, err := s.CheckPassword(t.Context(), u.Email, "wrong password!", "192.0.2.1"); !errors.Is(err, staff.ErrCredentials) {
			t.Fatalf("failure %d after successes: %v", i+1, err)
		}
	}
	if _, err := s.CheckPassword(t.Context(), u.Email, pw, "192.0.2.1"); !errors.Is(err, staff.ErrRateLimited) {
		t.Fatalf("after 5 failures: %v", err)
	}
}
