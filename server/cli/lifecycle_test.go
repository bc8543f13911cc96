package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// cliEnv points the command line's configuration at a running test
// server's database, as an operator's shell would.
func cliEnv(t *testing.T) *servertest.Env {
	dbName, key := storetest.DBName(), servertest.NewKey()
	env := servertest.StartWith(t, servertest.Options{DBName: dbName, SecretKey: key})
	for k, v := range map[string]string{
		"GEHOORD_DATA_DIR": t.TempDir(), "GEHOORD_MONGODB_URI": storetest.URI(t), "GEHOORD_DB_NAME": dbName,
		"GEHOORD_SECRET_KEY": key, "GEHOORD_PUSH_CONTACT": "mailto:desk@gehoord.example",
	} {
		t.Setenv(k, v)
	}
	return env
}

// TestUserPasswdAndReset: `gehoord user passwd` sets a new password;
// `gehoord user reset` hands over a temporary one, which only leads to
// choosing a new password and a new second factor, and ends her sessions
// and tablets, as the admin's reset in the staff pages does.
func TestUserPasswdAndReset(t *testing.T) {
	env := cliEnv(t)
	ctx := context.Background()
	svc := env.Deps.Staff
	u, err := svc.Create(ctx, staff.NewUser{Email: "anna@desk.test", Role: "outreach", Password: "the first password"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Run(append([]string{"user"}, args...), strings.NewReader(stdin), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("the second password\n", "passwd", "--email", "Anna@desk.test"); code != 0 {
		t.Fatalf("user passwd: %d %s", code, out)
	}
	if _, err := svc.CheckPassword(ctx, u.Email, "the second password", ""); err != nil {
		t.Fatalf("the new password does not sign in: %v", err)
	}
	if _, err := svc.CheckPassword(ctx, u.Email, "the first password", ""); !errors.Is(err, staff.ErrCredentials) {
		t.Fatalf("the old password still signs in: %v", err)
	}
	if code, out := run("short\n", "passwd", "--email", u.Email); code == 0 {
		t.Fatalf("a short password was accepted: %s", out)
	}
	if code, out := run("long enough password\n", "passwd", "--email", "nobody@desk.test"); code == 0 || !strings.Contains(out, "nobody@desk.test") {
		t.Fatalf("unknown user: %d %s", code, out)
	}

	dev, _, err := env.Deps.Devices.Create(ctx, u.ID, "her tablet")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.StartSession(ctx, u.ID, staff.StageFull)
	if err != nil {
		t.Fatal(err)
	}
	code, out := run("temporary handover 1\n", "reset", "--email", u.Email)
	if code != 0 || strings.Contains(out, "temporary handover 1") {
		t.Fatalf("user reset: %d %s", code, out)
	}
	if _, _, err := svc.Session(ctx, tok); !errors.Is(err, staff.ErrNoSession) {
		t.Fatalf("her session survived the reset: %v", err)
	}
	if d, err := env.Deps.Devices.Get(ctx, dev.ID); err != nil || !d.Revoked {
		t.Fatalf("her tablet survived the reset: %v %v", d.Revoked, err)
	}
	// The temporary password leads to choosing a new one, nowhere else.
	c := stafftest.NewClient(t, env.URL)
	res := c.Password(u.Email, "temporary handover 1")
	stafftest.ReadBody(res)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/staff/signin/password" {
		t.Fatalf("sign-in with the temporary password: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestUsageNamesEveryUserCommand: the help names passwd and reset.
func TestUsageNamesEveryUserCommand(t *testing.T) {
	var out bytes.Buffer
	Run([]string{"help"}, nil, &out, io.Discard)
	for _, c := range []string{"user add", "user passwd", "user reset"} {
		if !strings.Contains(out.String(), c) {
			t.Errorf("usage lacks %q", c)
		}
	}
}
