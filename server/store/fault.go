package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrUnavailable marks a failure of the database itself (a full disk, a
// read-only or broken file, a lost connection), not of the request: the
// server answers 503 with Retry-After, and keeps what she typed.
var ErrUnavailable = errors.New("store: the database cannot take this now")

// Unavailable says whether err is the database failing rather than the
// request: ErrUnavailable, a lost connection or timeout, or the embedded
// database reporting a full disk, a read-only or locked file, an I/O error.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, mongo.ErrClientDisconnected) ||
		mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"disk is full", "no space left", "readonly database", "read-only file system",
		"disk i/o error", "database is locked", "server selection error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// writeFault, when set, fails every write with its error (SetWriteFault).
type writeFault struct{ err error }

// SetWriteFault makes every write through the store fail with err, as a
// full disk or a broken database file would, until it is called with nil.
// For fault drills and tests: reads go on working.
func (s *Store) SetWriteFault(err error) {
	if err == nil {
		s.fault.Store(nil)
		return
	}
	s.fault.Store(&writeFault{err: err})
}

// faulty returns the injected write failure, if any.
func (s *Store) faulty() error {
	if f := s.fault.Load(); f != nil {
		return f.err
	}
	return nil
}

// classify marks a database failure as ErrUnavailable, keeping the cause.
func classify(err error) error {
	if err != nil && !errors.Is(err, ErrUnavailable) && Unavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// CheckWrite writes and reads back a small document: the readiness check
// of a database that answers but cannot write (a full disk, a read-only
// file) fails here, where a ping succeeds.
func (s *Store) CheckWrite(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id := "probe/" + s.probeID
	if err := s.Upsert(ctx, "health", id, bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: time.Now().UTC()}}}}); err != nil {
		return fmt.Errorf("store: write check: %w", classify(err))
	}
	return nil
}

// writable checks that the embedded database's folder can be written
// before it starts, so a read-only folder is said in words rather than as
// a database error later.
func writable(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return notWritable(dataDir, err)
	}
	for _, dir := range []string{dataDir, filepath.Join(dataDir, "db")} {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		f, err := os.CreateTemp(dir, ".write-check-*")
		if err != nil {
			return notWritable(dataDir, err)
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	return nil
}

func notWritable(dataDir string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("the data folder %s cannot be written (%v): the database keeps its files there. "+
		"Give the user running gehoord write access to it (and check that the disk is not mounted read-only or full), "+
		"or choose another folder with GEHOORD_DATA_DIR", dataDir, err)
}
