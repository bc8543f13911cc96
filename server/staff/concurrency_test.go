package staff_test

// Concurrency probes: many callers at one moment, on one store and on two
// stores opened on the same database (two instances). A one-time code must
// work once however many requests carry it, and what an admin sets must
// stay set whatever the user's own sign-in writes at that moment.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// instances runs probe with one store, then with two stores opened on one
// database as two server instances would be; callers spread their
// goroutines over the stores they are given.
func instances(t *testing.T, probe func(t *testing.T, stores []*store.Store)) {
	t.Helper()
	t.Run("one_instance", func(t *testing.T) {
		probe(t, []*store.Store{storetest.New(t)})
	})
	t.Run("two_instances", func(t *testing.T) {
		stores := storetest.Instances(t, 2)
		probe(t, stores)
	})
}

// probeEnv is one staff service per store, sharing the sealing key and a
// clock as instances of one deployment do. The sign-in limits are out of
// reach: the probes' losing attempts are failures by design. Those
// failures are counted in windows of a millisecond and swept before each
// round, because counting them is a full scan in FerretDB and thousands of
// them would make the probes slow, not sharper.
type probeEnv struct {
	svc   []*staff.Service
	st    *store.Store
	audit *audit.Log
	clk   *clock
}

// sweep forgets the failed attempts of earlier rounds (all but those of
// the current millisecond, which are few and harmless).
func (e *probeEnv) sweep(t *testing.T) {
	t.Helper()
	if err := ratelimit.Sweep(t.Context(), e.st, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func newProbeEnv(t *testing.T, stores []*store.Store) *probeEnv {
	t.Helper()
	sl := sealer(t)
	clk := newClock()
	e := &probeEnv{st: stores[0], audit: audit.New(stores[0]), clk: clk}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, st := range stores {
		e.svc = append(e.svc, staff.New(staff.Config{
			Store: st, Sealer: sl, Audit: audit.New(st), Logger: quiet, Now: clk.Now,
			LimitNow: time.Now, AccountLimit: 1 << 20, ClientLimit: 1 << 20, LimitWindow: time.Millisecond,
		}))
	}
	if err := e.svc[0].EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

// at is the service goroutine i uses.
func (e *probeEnv) at(i int) *staff.Service { return e.svc[i%len(e.svc)] }

// nextCode moves the clock to the next 30-second step and returns its code.
func (e *probeEnv) nextCode(t *testing.T, secret string) string {
	t.Helper()
	e.clk.Add(30 * time.Second)
	code, err := totp.GenerateCode(secret, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (e *probeEnv) get(t *testing.T, id string) *staff.User {
	t.Helper()
	u, err := e.svc[0].Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// secondFactors runs n sign-in second steps with code at once, each from
// its own copy of u, and returns how many were accepted. Any answer but
// acceptance or ErrCredentials is an error of the test.
func (e *probeEnv) secondFactors(t *testing.T, u *staff.User, code string, n int) int {
	t.Helper()
	e.sweep(t)
	errs := make([]error, n)
	storetest.Together(n, func(i int) {
		mine := *u
		errs[i] = e.at(i).SecondFactor(context.Background(), &mine, code, "")
	})
	return accepted(t, errs)
}

func accepted(t *testing.T, errs []error) int {
	t.Helper()
	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, staff.ErrCredentials):
			t.Errorf("attempt %d: %v", i, err)
		}
	}
	return n
}

// One TOTP code sent by many requests at once (a double-submitted form, a
// replay racing the real sign-in) signs in once.
func TestConcurrentTOTPCodeAcceptedOnce(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		u, secret, _ := setUp(t, e.svc[0], e.clk.Now)
		for r := range 3 {
			code := e.nextCode(t, secret)
			if n := e.secondFactors(t, u, code, 16); n != 1 {
				t.Errorf("round %d: one TOTP code used 16 times at once was accepted %d times", r, n)
			}
		}
		// The same through the one-call sign-in the outreach app uses.
		code := e.nextCode(t, secret)
		e.sweep(t)
		errs := make([]error, 4)
		storetest.Together(len(errs), func(i int) {
			_, errs[i] = e.at(i).Authenticate(context.Background(), u.Email, pw, code)
		})
		if n := accepted(t, errs); n != 1 {
			t.Errorf("one TOTP code sent to Authenticate 4 times at once was accepted %d times", n)
		}
	})
}

// One recovery code used by many requests at once is used once: accepted
// once, one fewer left, one audit entry.
func TestConcurrentRecoveryCodeAcceptedOnce(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		u, _, codes := setUp(t, e.svc[0], e.clk.Now)
		for r := range 2 {
			if n := e.secondFactors(t, u, codes[r], 16); n != 1 {
				t.Errorf("round %d: one recovery code used 16 times at once was accepted %d times", r, n)
			}
			if left := e.get(t, u.ID).RecoveryLeft(); left != staff.RecoveryCodes-(r+1) {
				t.Errorf("round %d: %d recovery codes left, want %d", r, left, staff.RecoveryCodes-(r+1))
			}
		}
		es, err := e.audit.List(t.Context(), audit.Filter{UserID: u.ID, Action: audit.RecoveryUsed})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 {
			t.Errorf("%d recovery-code audit entries for 2 codes used", len(es))
		}
	})
}

// Different recovery codes used at once each count: all accepted, all used
// up afterwards (a lost removal would leave a used code working).
func TestConcurrentDifferentRecoveryCodesEachUsedUp(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		u, _, codes := setUp(t, e.svc[0], e.clk.Now)
		const n = 8
		errs := make([]error, n)
		storetest.Together(n, func(i int) {
			mine := *u
			errs[i] = e.at(i).SecondFactor(context.Background(), &mine, codes[i], "")
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("recovery code %d of %d used at once: %v", i, n, err)
			}
		}
		if left := e.get(t, u.ID).RecoveryLeft(); left != staff.RecoveryCodes-n {
			t.Errorf("%d recovery codes left after using %d of %d, want %d", left, n, staff.RecoveryCodes, staff.RecoveryCodes-n)
		}
		for i := range n {
			if err := e.svc[0].SecondFactor(t.Context(), u, codes[i], ""); !errors.Is(err, staff.ErrCredentials) {
				t.Errorf("used recovery code %d works again: %v", i, err)
			}
		}
	})
}

// Confirming the second factor from several requests at once (two tabs, a
// double submit) sets it up once; the recovery codes the winner was shown
// are the ones that work, and the secret is the one that was scanned.
func TestConcurrentTOTPConfirmOnce(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		ctx := t.Context()
		for r := range 3 {
			u, err := e.svc[0].Create(ctx, staff.NewUser{Email: fmt.Sprintf("bo%d@desk.test", r), Role: "handler", Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			setup, err := e.svc[0].BeginTOTP(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(setup.Secret, e.clk.Now())
			const n = 24
			errs := make([]error, n)
			shown := make([][]string, n)
			storetest.Together(n, func(i int) {
				mine := *u
				shown[i], errs[i] = e.at(i).ConfirmTOTP(context.Background(), &mine, code, "")
			})
			var winner []string
			wins := 0
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
					winner = shown[i]
				case !errors.Is(err, staff.ErrCredentials) && !errors.Is(err, staff.ErrTOTPAlreadySet):
					t.Errorf("round %d, confirm %d: %v", r, i, err)
				}
			}
			if wins != 1 {
				t.Errorf("round %d: second factor confirmed %d times by %d requests at once, want once", r, wins, n)
				continue
			}
			fresh := e.get(t, u.ID)
			if !fresh.HasTOTP() || fresh.RecoveryLeft() != staff.RecoveryCodes {
				t.Errorf("round %d: after confirming: has TOTP %v, %d recovery codes", r, fresh.HasTOTP(), fresh.RecoveryLeft())
				continue
			}
			// The scanned secret makes the codes, and the shown recovery codes work.
			if err := e.svc[0].SecondFactor(ctx, fresh, e.nextCode(t, setup.Secret), ""); err != nil {
				t.Errorf("round %d: a code of the scanned secret is refused: %v", r, err)
			}
			for i, c := range winner {
				if err := e.svc[0].SecondFactor(ctx, fresh, c, ""); err != nil {
					t.Errorf("round %d: shown recovery code %d is refused: %v", r, i, err)
				}
			}
		}
	})
}

// An admin changes a user while that user signs in, many requests at once:
// what the admin set stays set (the sign-in's own write must not put the
// old values back), the code still works only once, and the sign-in's step
// is not rolled back by the admin's write either.
func TestAdminChangesSurviveConcurrentSignIn(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		ctx := t.Context()
		u, secret, _ := setUp(t, e.svc[0], e.clk.Now)
		roles := []string{staff.RoleCoordinator, staff.RoleHandler}
		langs := []string{"en", "nl"}
		kinds := []string{"disable", "role", "lang", "reset"}
		const signIns = 8
		for r := range 8 {
			kind := kinds[r%len(kinds)]
			role, lang := roles[r%2], langs[r%2]
			code := e.nextCode(t, secret)
			u = e.get(t, u.ID)
			e.sweep(t)
			errs := make([]error, signIns+1)
			storetest.Together(signIns+1, func(i int) {
				s := e.at(i)
				if i < signIns {
					mine := *u
					errs[i] = s.SecondFactor(context.Background(), &mine, code, "")
					return
				}
				switch kind {
				case "disable":
					errs[i] = s.SetDisabled(context.Background(), u.ID, true)
				case "role":
					errs[i] = s.SetRole(context.Background(), u.ID, role)
				case "lang":
					errs[i] = s.SetLang(context.Background(), u.ID, lang)
				case "reset":
					errs[i] = s.ResetTOTP(context.Background(), u.ID)
				}
			})
			if err := errs[signIns]; err != nil {
				t.Fatalf("round %d: admin %s: %v", r, kind, err)
			}
			n := accepted(t, errs[:signIns])
			got := e.get(t, u.ID)
			switch kind {
			case "disable":
				if !got.Disabled {
					t.Errorf("round %d: disabled during a sign-in, the user is enabled again", r)
				}
			case "role":
				if got.Role != role {
					t.Errorf("round %d: role set to %s during a sign-in, reads %s", r, role, got.Role)
				}
			case "lang":
				if got.Lang != lang {
					t.Errorf("round %d: language set to %s during a sign-in, reads %s", r, lang, got.Lang)
				}
			case "reset":
				if got.HasTOTP() || got.RecoveryLeft() != 0 {
					t.Errorf("round %d: second factor reset during a sign-in, still has TOTP %v, %d recovery codes", r, got.HasTOTP(), got.RecoveryLeft())
				}
			}
			if kind != "reset" {
				// A reset may rightly let a stale request in once more.
				if n != 1 {
					t.Errorf("round %d (%s): one code accepted %d times", r, kind, n)
				}
				if err := e.svc[0].SecondFactor(ctx, u, code, ""); !errors.Is(err, staff.ErrCredentials) {
					t.Errorf("round %d (%s): the used code works again: %v", r, kind, err)
				}
			}
			// Put the user back for the next round.
			switch kind {
			case "disable":
				if err := e.svc[0].SetDisabled(ctx, u.ID, false); err != nil {
					t.Fatal(err)
				}
			case "reset":
				got = e.get(t, u.ID)
				if got.HasTOTP() {
					// The reset was lost (reported above): reset again.
					if err := e.svc[0].ResetTOTP(ctx, u.ID); err != nil {
						t.Fatal(err)
					}
					got = e.get(t, u.ID)
				}
				setup, err := e.svc[0].BeginTOTP(ctx, got)
				if err != nil {
					t.Fatal(err)
				}
				secret = setup.Secret
				if _, err := e.svc[0].ConfirmTOTP(ctx, got, e.nextCode(t, secret), ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// Admin edits of one user at the same moment keep each other: disabled,
// role and language all end as set.
func TestConcurrentAdminEditsKeepEachField(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		ctx := t.Context()
		u, err := e.svc[0].Create(ctx, staff.NewUser{Email: "cy@desk.test", Role: "handler", Lang: "nl", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		for r := range 12 {
			disabled := r%2 == 0
			role := []string{staff.RoleCoordinator, staff.RoleOutreach, staff.RoleHandler}[r%3]
			lang := []string{"en", "nl"}[r%2]
			errs := make([]error, 3)
			storetest.Together(3, func(i int) {
				s := e.at(i)
				switch i {
				case 0:
					errs[i] = s.SetDisabled(context.Background(), u.ID, disabled)
				case 1:
					errs[i] = s.SetRole(context.Background(), u.ID, role)
				case 2:
					errs[i] = s.SetLang(context.Background(), u.ID, lang)
				}
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, edit %d: %v", r, i, err)
				}
			}
			got := e.get(t, u.ID)
			if got.Disabled != disabled || got.Role != role || got.Lang != lang {
				t.Errorf("round %d: set disabled=%v role=%s lang=%s at once, reads disabled=%v role=%s lang=%s",
					r, disabled, role, lang, got.Disabled, got.Role, got.Lang)
			}
		}
	})
}

// Signing out while the same session is in use (each use may note
// seen_at) ends it: a touch must never bring a deleted session back.
func TestSignOutWhileSessionInUse(t *testing.T) {
	instances(t, func(t *testing.T, stores []*store.Store) {
		e := newProbeEnv(t, stores)
		ctx := t.Context()
		u, err := e.svc[0].Create(ctx, staff.NewUser{Email: "di@desk.test", Role: "handler", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		const uses = 12
		for r := range 4 {
			tok, _, err := e.svc[0].StartSession(ctx, u.ID, staff.StageFull)
			if err != nil {
				t.Fatal(err)
			}
			// Past the touch interval, so every use writes seen_at.
			e.clk.Add(2 * time.Minute)
			errs := make([]error, uses+1)
			storetest.Together(uses+1, func(i int) {
				s := e.at(i)
				if i < uses {
					if _, _, err := s.Session(context.Background(), tok); err != nil && !errors.Is(err, staff.ErrNoSession) {
						errs[i] = err
					}
					return
				}
				if r%2 == 0 {
					errs[i] = s.EndSession(context.Background(), tok)
				} else {
					errs[i] = s.EndAllSessions(context.Background(), u.ID)
				}
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, call %d: %v", r, i, err)
				}
			}
			for _, s := range e.svc {
				if _, _, err := s.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
					t.Errorf("round %d: signed out during use, the session still works: %v", r, err)
				}
			}
			if n, err := e.svc[0].SessionCount(ctx, u.ID); err != nil || n != 0 {
				t.Errorf("round %d: %d sessions left (%v)", r, n, err)
			}
		}
	})
}
