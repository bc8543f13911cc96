package staff_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/staff"
)

// TestTwoSessionsSettingUpOneWins: two half-signed-in sessions of one user
// each set up their own secret; confirmed at the same moment, exactly one
// becomes the second factor and the other is told it is set up already.
func TestTwoSessionsSettingUpOneWins(t *testing.T) {
	clk := newClock()
	s, _, _ := newService(t, clk.Now)
	ctx := t.Context()
	u, err := s.Create(ctx, staff.NewUser{Email: "f@desk.test", Role: "handler", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	var sessions [2]*staff.Session
	var secrets [2]string
	for i := range sessions {
		tok, _, err := s.StartSession(ctx, u.ID, staff.StageSetup)
		if err != nil {
			t.Fatal(err)
		}
		sess, _, err := s.Session(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		setup, err := s.BeginTOTPFor(ctx, u, sess)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i], secrets[i] = sess, setup.Secret
	}
	if secrets[0] == secrets[1] {
		t.Fatal("two sessions were given one secret")
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, err := s.Get(ctx, u.ID)
			if err != nil {
				errs[i] = err
				return
			}
			code, _ := totp.GenerateCode(secrets[i], clk.Now())
			_, errs[i] = s.ConfirmTOTPFor(ctx, mine, sessions[i], code, "")
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if won >= 0 {
				t.Fatal("both sessions confirmed their own secret")
			}
			won = i
		case !errors.Is(err, staff.ErrTOTPAlreadySet):
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("neither session confirmed")
	}
	clk.Add(30 * time.Second)
	code, _ := totp.GenerateCode(secrets[won], clk.Now())
	if _, err := s.AuthenticateFrom(ctx, u.Email, pw, code, ""); err != nil {
		t.Fatalf("the winner's secret does not sign in: %v", err)
	}
}
