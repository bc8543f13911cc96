package staff_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: limitStart} }

// limitStart is the start of an hour: a clock that starts there (and the
// sign-in limits pinned to it) sees a limit's window (a quarter hour) turn
// only when a test moves it on that far, never because the test ran
// across a quarter hour.
var limitStart = time.Now().Truncate(time.Hour)

func pinnedLimits() time.Time { return limitStart }

func sealer(t *testing.T) *seal.Sealer {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	s, _ := seal.New(k)
	return s
}

func newService(t *testing.T, now func() time.Time) (*staff.Service, *store.Store, *audit.Log) {
	limits := now
	if limits == nil {
		limits = pinnedLimits
	}
	st := storetest.New(t)
	a := audit.New(st)
	// Without a clock of the test's own, only the limits are pinned.
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), Audit: a, Now: now, LimitNow: limits, AccountLimit: 5})
	if err := s.EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, st, a
}

const pw = "a long enough password"

// setUp creates a user and sets up TOTP; it returns the secret.
func setUp(t *testing.T, s *staff.Service, now func() time.Time) (*staff.User, string, []string) {
	u, err := s.Create(t.Context(), staff.NewUser{Email: " Anna@Desk.test ", Name: "Anna", Role: "handler", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "anna@desk.test" || strings.Contains(u.PasswordHash, pw) || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("user %+v", u)
	}
	setup, err := s.BeginTOTP(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.BeginTOTP(t.Context(), u)
	if again.Secret != setup.Secret || !strings.HasPrefix(setup.URL, "otpauth://totp/") {
		t.Fatalf("pending secret not kept: %+v %+v", setup, again)
	}
	if _, err := s.ConfirmTOTP(t.Context(), u, "000000", ""); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("wrong code accepted: %v", err)
	}
	code, _ := totp.GenerateCode(setup.Secret, now())
	codes, err := s.ConfirmTOTP(t.Context(), u, code, "")
	if err != nil || len(codes) != staff.RecoveryCodes || !u.HasTOTP() {
		t.Fatalf("confirm: %v %v", err, codes)
	}
	return u, setup.Secret, codes
}

func TestTOTPSetupAndCodesOnce(t *testing.T) {
	clk := newClock()
	s, _, _ := newService(t, clk.Now)
	ctx := t.Context()
	u, secret, _ := setUp(t, s, clk.Now)
	// The code used for set-up cannot be used again.
	code, _ := totp.GenerateCode(secret, clk.Now())
	if _, err := s.Authenticate(ctx, "anna@desk.test", pw, code); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("replayed code: %v", err)
	}
	clk.Add(30 * time.Second)
	code, _ = totp.GenerateCode(secret, clk.Now())
	got, err := s.Authenticate(ctx, "ANNA@desk.test", pw, code)
	if err != nil || got.ID != u.ID {
		t.Fatalf("authenticate: %v", err)
	}
	if _, err := s.Authenticate(ctx, "anna@desk.test", pw, code); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("same code twice: %v", err)
	}
	if _, err := s.Authenticate(ctx, "anna@desk.test", "wrong password!", code); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestRecoveryCodesAreOneTime(t *testing.T) {
	clk := newClock()
	s, _, a := newService(t, clk.Now)
	ctx := t.Context()
	u, _, codes := setUp(t, s, clk.Now)
	if _, err := s.Authenticate(ctx, u.Email, pw, strings.ToUpper(codes[3])); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := s.Authenticate(ctx, u.Email, pw, codes[3]); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("recovery code used twice: %v", err)
	}
	fresh, _ := s.Get(ctx, u.ID)
	if fresh.RecoveryLeft() != staff.RecoveryCodes-1 {
		t.Errorf("%d left", fresh.RecoveryLeft())
	}
	for _, h := range fresh.Recovery {
		for _, c := range codes {
			if strings.Contains(h, strings.ReplaceAll(c, "-", "")) {
				t.Fatal("recovery codes stored in clear")
			}
		}
	}
	es, _ := a.List(ctx, audit.Filter{UserID: u.ID, Action: audit.RecoveryUsed})
	if len(es) != 1 {
		t.Errorf("%d recovery audit entries", len(es))
	}
}

func TestSignInRateLimitedPerAccountAndClient(t *testing.T) {
	s, _, a := newService(t, nil)
	ctx := t.Context()
	if _, err := s.Create(ctx, staff.NewUser{Email: "b@desk.test", Role: "coordinator", Password: pw}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.CheckPassword(ctx, "b@desk.test", "wrong", "client-1"); !errors.Is(err, staff.ErrCredentials) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	// Now even the right password is refused from that client...
	if _, err := s.CheckPassword(ctx, "b@desk.test", pw, "client-1"); !errors.Is(err, staff.ErrRateLimited) {
		t.Fatalf("after 5 failures: %v", err)
	}
	// ...but not from hers: nobody can lock her out.
	if _, err := s.CheckPassword(ctx, "b@desk.test", pw, "client-2"); err != nil {
		t.Fatalf("her own client after 5 failures from another: %v", err)
	}
	es, _ := a.List(ctx, audit.Filter{Action: audit.SignInFailed})
	if len(es) < 5 {
		t.Errorf("%d failed sign-ins in the audit log", len(es))
	}
	// Unknown addresses fail the same way.
	if _, err := s.CheckPassword(ctx, "nobody@desk.test", pw, "client-3"); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestSignInRateLimitedPerClient(t *testing.T) {
	st := storetest.New(t)
	s := staff.New(staff.Config{Store: st, Sealer: sealer(t), ClientLimit: 3, LimitNow: pinnedLimits})
	ctx := t.Context()
	for i := 0; i < 3; i++ {
		_, _ = s.CheckPassword(ctx, "x"+string(rune('a'+i))+"@desk.test", "wrong", "client-9")
	}
	if _, err := s.CheckPassword(ctx, "fresh@desk.test", "wrong", "client-9"); !errors.Is(err, staff.ErrRateLimited) {
		t.Fatalf("client over its limit: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "fresh@desk.test", "wrong", "client-10"); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("other client: %v", err)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	clk := newClock()
	s, _, _ := newService(t, clk.Now)
	ctx := t.Context()
	u, err := s.Create(ctx, staff.NewUser{Email: "c@desk.test", Role: "handler", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.StartSession(ctx, u.ID, staff.StageFull)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(29 * time.Minute)
	if _, _, err := s.Session(ctx, tok); err != nil {
		t.Fatalf("29 minutes idle: %v", err)
	}
	clk.Add(31 * time.Minute)
	if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
		t.Fatalf("31 minutes idle: %v", err)
	}
	// Active all the time, but 12 hours is the end.
	tok, _, _ = s.StartSession(ctx, u.ID, staff.StageFull)
	for i := 0; i < 12*3; i++ {
		clk.Add(20 * time.Minute)
		_, _, err = s.Session(ctx, tok)
		if i < 12*3-1 && err != nil {
			t.Fatalf("after %d minutes: %v", (i+1)*20, err)
		}
	}
	clk.Add(time.Minute)
	if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
		t.Fatalf("after 12 hours: %v", err)
	}
	// A half-finished sign-in lasts 10 minutes.
	tok, _, _ = s.StartSession(ctx, u.ID, staff.StageCode)
	clk.Add(11 * time.Minute)
	if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
		t.Fatalf("pre-auth session after 11 minutes: %v", err)
	}
}

func TestSignOutEverywhereAndDisable(t *testing.T) {
	s, _, _ := newService(t, nil)
	ctx := t.Context()
	u, _ := s.Create(ctx, staff.NewUser{Email: "d@desk.test", Role: "handler", Password: pw})
	t1, _, _ := s.StartSession(ctx, u.ID, staff.StageFull)
	t2, _, _ := s.StartSession(ctx, u.ID, staff.StageFull)
	if n, _ := s.SessionCount(ctx, u.ID); n != 2 {
		t.Fatalf("%d sessions", n)
	}
	if err := s.EndAllSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{t1, t2} {
		if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
			t.Fatal("session survived sign-out everywhere")
		}
	}
	t3, _, _ := s.StartSession(ctx, u.ID, staff.StageFull)
	if err := s.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, t3); !errors.Is(err, staff.ErrNoSession) {
		t.Fatal("disabled user kept a session")
	}
	if _, err := s.CheckPassword(ctx, u.Email, pw, ""); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("disabled user signs in: %v", err)
	}
	act, _ := s.ListActive(ctx)
	if len(act) != 0 {
		t.Errorf("active: %v", act)
	}
}

func TestCreateValidates(t *testing.T) {
	s, _, _ := newService(t, nil)
	ctx := t.Context()
	cases := []struct {
		n   staff.NewUser
		err error
	}{
		{staff.NewUser{Email: "nope", Role: "handler", Password: pw}, staff.ErrEmail},
		{staff.NewUser{Email: "e@desk.test", Role: "boss", Password: pw}, staff.ErrRole},
		{staff.NewUser{Email: "e@desk.test", Role: "handler", Password: "short"}, staff.ErrPassword},
	}
	for _, c := range cases {
		if _, err := s.Create(ctx, c.n); !errors.Is(err, c.err) {
			t.Errorf("%+v: %v", c.n, err)
		}
	}
	if _, err := s.Create(ctx, staff.NewUser{Email: "e@desk.test", Role: "handler", Password: pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, staff.NewUser{Email: "E@desk.test", Role: "admin", Password: pw}); !errors.Is(err, staff.ErrEmailTaken) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestResetTOTP(t *testing.T) {
	clk := newClock()
	s, _, _ := newService(t, clk.Now)
	ctx := t.Context()
	u, _, _ := setUp(t, s, clk.Now)
	tok, _, _ := s.StartSession(ctx, u.ID, staff.StageFull)
	if err := s.ResetTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	fresh, _ := s.Get(ctx, u.ID)
	if fresh.HasTOTP() || fresh.RecoveryLeft() != 0 {
		t.Error("second factor not reset")
	}
	if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
		t.Error("session survived a reset")
	}
	if _, err := s.Authenticate(ctx, u.Email, pw, "123456"); !errors.Is(err, staff.ErrTOTPSetupRequired) {
		t.Errorf("after reset: %v", err)
	}
}
