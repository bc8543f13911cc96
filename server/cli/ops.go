package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

// manifest is what a backup records about itself, for the restore.
type manifest struct {
	TakenAt   time.Time `bson:"taken_at"`
	Source    string    `bson:"source"` // "embedded" or "mongodb"
	DBName    string    `bson:"db_name"`
	Version   string    `bson:"gehoord_version"`
	KeyIDs    []string  `bson:"key_ids"` // every key of the ring at the time: values may be sealed with any
	HashCheck string    `bson:"hash_check"`
}

func quietLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// noKeyError says where the key must come from; the commands that need an
// existing key never make one.
func noKeyError(cfg config.Config, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no secret key: set GEHOORD_SECRET_KEY or put the desk's key file at %s (mode 0600). No key was written",
			filepath.Join(cfg.DataDir, seal.KeyFile))
	}
	return err
}

// backupCmd runs `gehoord backup --out FILE`: a consistent copy of the
// database while the server runs, in a file only the desk's user can read.
// The file holds sealed values and hashes, not the key: keep the key
// apart from the backups.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the backup file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: gehoord backup --out FILE")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; name a new file", *out)
	}
	cfg, err := config.FromEnv(nil, nil)
	if err != nil {
		return err
	}
	ring, err := seal.ReadRing(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return noKeyError(cfg, err)
	}
	sealer, err := seal.NewRing(ring)
	if err != nil {
		return err
	}
	log := quietLog(stderr)
	m := manifest{TakenAt: time.Now().UTC(), DBName: cfg.DBName, Version: Version, KeyIDs: sealer.KeyIDs(), HashCheck: sealer.HashCheck()}
	var st *store.Store
	if cfg.MongoURI == "" {
		// A snapshot of the SQLite file at one moment, read by a private
		// embedded database: the running server is not disturbed.
		m.Source = "embedded"
		tmp, err := os.MkdirTemp("", "gehoord-backup-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		m.TakenAt = time.Now().UTC()
		if err := store.SnapshotEmbedded(ctx, cfg.DataDir, cfg.DBName, tmp); err != nil {
			return err
		}
		st, err = store.Open(ctx, store.Options{DataDir: tmp, DBName: cfg.DBName, Logger: log})
		if err != nil {
			return err
		}
	} else {
		m.Source = "mongodb"
		st, err = store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, Logger: log})
		if err != nil {
			return err
		}
	}
	defer st.Close(context.Background())
	// Written beside the target and renamed when whole: a file named FILE
	// is always a complete backup.
	partial := *out + ".partial"
	_ = os.Remove(partial)
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(partial)
	var doc bson.D
	if b, err := bson.Marshal(m); err != nil {
		return err
	} else if err := bson.Unmarshal(b, &doc); err != nil {
		return err
	}
	stats, err := st.Dump(ctx, f, doc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; name a new file", *out)
	}
	if err := os.Rename(partial, *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Backup written to %s: %d collections, %d documents, taken %s.\n"+
		"Restoring it needs the key with id %s (GEHOORD_SECRET_KEY or %s); the backup does not hold it.\n",
		*out, stats.Collections, stats.Documents, m.TakenAt.Format(time.RFC3339), strings.Join(m.KeyIDs, ", "), seal.KeyFile)
	return nil
}

// restoreCmd runs `gehoord restore --in FILE` into an empty database. It
// reads the key first and refuses, before writing anything, when the key
// is missing or is not the backup's: a restore never makes a key.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the backup file to restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() > 0 {
		return errors.New("usage: gehoord restore --in FILE")
	}
	cfg, err := config.FromEnv(nil, nil)
	if err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	b, err := store.OpenBackup(f)
	if err != nil {
		return fmt.Errorf("restore: %s: %w", *in, err)
	}
	var m manifest
	if err := bson.Unmarshal(b.Manifest, &m); err != nil {
		return fmt.Errorf("restore: %s: %w", *in, err)
	}
	ring, err := seal.ReadRing(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return fmt.Errorf("restore: the backup needs the key with id %s: %w", strings.Join(m.KeyIDs, ", "), noKeyError(cfg, err))
	}
	sealer, err := seal.NewRing(ring)
	if err != nil {
		return err
	}
	for _, id := range m.KeyIDs {
		if !slices.Contains(sealer.KeyIDs(), id) {
			return fmt.Errorf("restore: refused: the backup was sealed with the key with id %s, and the key given has id %s. "+
				"Nothing was written", strings.Join(m.KeyIDs, ", "), strings.Join(sealer.KeyIDs(), ", "))
		}
	}
	if m.HashCheck != sealer.HashCheck() {
		return errors.New("restore: refused: the key given does not make the backup's receipt hashes. Nothing was written")
	}
	if cfg.MongoURI == "" {
		// Refuse before the store makes its files there.
		if files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "db", "*.sqlite")); len(files) > 0 {
			return fmt.Errorf("restore: refused: %s already holds a database; restore into an empty data folder", cfg.DataDir)
		}
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: quietLog(stderr)})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	stats, err := st.Restore(ctx, b)
	if errors.Is(err, store.ErrNotEmpty) {
		return fmt.Errorf("restore: refused: the database %s is not empty; restore into an empty one", cfg.DBName)
	}
	if err != nil {
		return fmt.Errorf("restore: %w (empty the database before trying again)", err)
	}
	floor, err := st.RaiseSequences(ctx, m.TakenAt, time.Now())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "Restored %s (taken %s): %d collections, %d documents.\n"+
		"New case references continue above %d, so none handed out after the backup is given again.\n",
		*in, m.TakenAt.Format(time.RFC3339), stats.Collections, stats.Documents, floor)
	return nil
}
