package staff_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestAttackFromManyAddressesDoesNotLockHerOut: wrong passwords and codes
// for her account from many addresses (an attacker who knows her e-mail
// address, or even her password) must not stop her: from her own address
// the right password and code still work. The attack only slows every
// step on her account down a little.
func TestAttackFromManyAddressesDoesNotLockHerOut(t *testing.T) {
	clk := newClock()
	st := storetest.New(t)
	const delay = 150 * time.Millisecond
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), Audit: audit.New(st), Now: clk.Now, SlowAfter: 10, SlowDelay: delay})
	u, secret, _ := setUp(t, s, clk.Now)
	code := wrongCode(t, secret, clk.Now())
	// 15 failures from 12 addresses: more than the 10 that used to lock
	// the account for everyone, and over SlowAfter.
	for i := range 12 {
		from := fmt.Sprintf("198.51.100.%d", i)
		if _, err := s.CheckPassword(t.Context(), u.Email, "guessed password!", from); !errors.Is(err, staff.ErrCredentials) {
			t.Fatalf("attack password %d: %v", i+1, err)
		}
		if i%4 != 0 {
			continue
		}
		if err := s.SecondFactor(t.Context(), u, code, from); !errors.Is(err, staff.ErrCredentials) {
			t.Fatalf("attack code %d: %v", i+1, err)
		}
	}
	clk.Add(30 * time.Second)
	right, _ := totp.GenerateCode(secret, clk.Now())
	start := time.Now()
	if _, err := s.AuthenticateFrom(t.Context(), u.Email, pw, right, "192.0.2.10"); err != nil {
		t.Fatalf("her own sign-in during the attack: %v", err)
	}
	if took := time.Since(start); took < 2*delay {
		t.Fatalf("password and code under attack took %v: not slowed down (%v a step)", took, delay)
	}
}

// One address that keeps guessing her password is stopped: the limit per
// account and address holds, and then even the right password from that
// address waits for the window.
func TestOneAddressGuessingIsLimited(t *testing.T) {
	st := storetest.New(t)
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), AccountLimit: 4, LimitNow: pinnedLimits})
	if _, err := s.Create(t.Context(), staff.NewUser{Email: "f@desk.test", Role: "handler", Password: pw}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := s.CheckPassword(t.Context(), "f@desk.test", "guessed password!", "203.0.113.9"); !errors.Is(err, staff.ErrCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if _, err := s.CheckPassword(t.Context(), "f@desk.test", pw, "203.0.113.9"); !errors.Is(err, staff.ErrRateLimited) {
		t.Fatalf("5th try from the guessing address: %v, want limited", err)
	}
}
