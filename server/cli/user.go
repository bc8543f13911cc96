package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gehoord/gehoord/server"
	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
)

const userUsage = `usage:
  gehoord user add --email E --role R [--name N] [--lang L]   create a staff user
  gehoord user passwd --email E                               set a new password; their sessions end
  gehoord user reset --email E                                temporary password; new password and second factor at the next sign-in
The password is typed at a prompt without echo, or read as the first line
of standard input when that is not a terminal.`

//lint:ignore ST1005 the usage is shown as it is, full sentences included
var errUserUsage = errors.New(userUsage)

// userCmd runs `gehoord user add|passwd|reset`. A password never comes
// from the command line (the process list, the shell history): it is typed
// at a prompt that does not echo, or is the first line of standard input.
// The database and key come from the same environment variables as
// `serve`.
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUserUsage
	}
	cfg, err := config.FromEnv(nil, nil)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := keyForExistingData(cfg); err != nil {
		return err
	}
	switch args[0] {
	case "add":
		ring, err := seal.LoadRing(cfg.DataDir, cfg.SecretKey)
		if err != nil {
			return err
		}
		sealer, err := seal.NewRing(ring)
		if err != nil {
			return err
		}
		st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: log})
		if err != nil {
			return err
		}
		defer st.Close(context.Background())
		return UserAdd(ctx, args[1:], stdin, stdout, st, sealer)
	case "passwd", "reset":
		// The server's own wiring: ending her sessions here does what it
		// does there (her tablets and push devices are withdrawn too).
		d, err := server.Build(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = d.Close(closeCtx)
		}()
		if args[0] == "passwd" {
			return UserPasswd(ctx, args[1:], stdin, stdout, d.Staff, d.Audit)
		}
		return UserReset(ctx, args[1:], stdin, stdout, d.Staff, d.Audit)
	}
	return errUserUsage
}

// UserAdd parses the flags of `user add`, reads the password and creates
// the user in st.
func UserAdd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, st *store.Store, sealer *seal.Sealer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "e-mail address (the sign-in name)")
	role := fs.String("role", "", "admin, coordinator, handler or outreach")
	name := fs.String("name", "", "name shown to colleagues")
	lang := fs.String("lang", "nl", "language of the staff pages: nl or en")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if *email == "" || *role == "" {
		return errors.New("user add: --email and --role are required")
	}
	password, err := readPassword(stdin, stdout, "Password (at least 12 characters)")
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	svc := staff.New(staff.Config{Store: st, Sealer: sealer, Audit: audit.New(st)})
	if err := svc.EnsureIndexes(ctx); err != nil {
		return err
	}
	u, err := svc.Create(ctx, staff.NewUser{Email: *email, Name: *name, Role: *role, Lang: *lang, Password: password})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	_ = audit.New(st).Record(ctx, audit.Entry{UserID: "cli", Action: audit.UserAdd, Target: u.ID, Detail: u.Role})
	fmt.Fprintf(stdout, "Created %s (%s). At the first sign-in on /staff/signin they set up the second factor.\n", u.Email, u.Role)
	return nil
}

// userByEmail parses --email and finds the user.
func userByEmail(ctx context.Context, cmd string, args []string, svc *staff.Service) (*staff.User, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "e-mail address of the user")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if *email == "" {
		return nil, fmt.Errorf("%s: --email is required", cmd)
	}
	u, err := svc.ByEmail(ctx, *email)
	if errors.Is(err, staff.ErrNotFound) {
		return nil, fmt.Errorf("%s: no user %s", cmd, staff.NormalizeEmail(*email))
	}
	return u, err
}

// UserPasswd sets a user's password (`user passwd --email E`); every
// session of theirs ends.
func UserPasswd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, svc *staff.Service, log *audit.Log) error {
	u, err := userByEmail(ctx, "user passwd", args, svc)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stdout, "New password for "+u.Email+" (at least 12 characters)")
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if err := svc.SetPassword(ctx, u.ID, password); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if log != nil {
		_ = log.Record(ctx, audit.Entry{UserID: "cli", Action: audit.UserChange, Target: u.ID, Detail: "password"})
	}
	fmt.Fprintf(stdout, "The password of %s is changed; they are signed out everywhere.\n", u.Email)
	return nil
}

// UserReset resets a user (`user reset --email E`) as an admin does in the
// staff pages: the password read becomes a temporary one, and at the next
// sign-in they choose their own and set up the second factor again.
func UserReset(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, svc *staff.Service, log *audit.Log) error {
	u, err := userByEmail(ctx, "user reset", args, svc)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stdout, "Temporary password for "+u.Email+" (at least 12 characters)")
	if err != nil {
		return fmt.Errorf("user reset: %w", err)
	}
	if err := svc.Reset(ctx, u.ID, password); err != nil {
		return fmt.Errorf("user reset: %w", err)
	}
	if log != nil {
		_ = log.Record(ctx, audit.Entry{UserID: "cli", Action: audit.UserChange, Target: u.ID, Detail: "reset"})
	}
	fmt.Fprintf(stdout, "%s is reset: their sessions, tablets and notification devices have ended. At the next sign-in on\n"+
		"/staff/signin they use the temporary password, choose their own and set up the second factor again.\n", u.Email)
	return nil
}

// readPassword reads a password. On a terminal it asks at a prompt with
// the echo off, twice (a typing error cannot be seen); otherwise it takes
// the first line of in, for scripts.
func readPassword(in io.Reader, prompt io.Writer, label string) (string, error) {
	f, ok := in.(*os.File)
	if !ok || !isTerminal(f) {
		return readLine(bufio.NewReader(in))
	}
	r := bufio.NewReader(f)
	var typed [2]string
	for i, l := range []string{label, "The same password again"} {
		restore, err := noEcho(f)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, l+": ")
		typed[i], err = readLine(r)
		restore()
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
	}
	if typed[0] != typed[1] {
		return "", errors.New("the two passwords are not the same")
	}
	return typed[0], nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
