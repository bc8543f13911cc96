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

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
)

// userCmd runs `gehoord user add --email E --role R [--name N] [--lang L]`.
// The password is the first line of standard input, so it never shows in
// the process list or the shell history. The database and key come from
// the same environment variables as `serve`.
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: gehoord user add --email E --role R [--name N] (password on standard input)")
	}
	cfg, err := config.FromEnv(nil, nil)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	key, err := seal.LoadKey(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	return UserAdd(ctx, args[1:], stdin, stdout, st, sealer)
}

// UserAdd parses the flags of `user add`, reads the password line from
// stdin and creates the user in st.
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
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(stdout, "Password (at least 12 characters): ")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("user add: read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
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

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
