// Package store opens the database: an embedded FerretDB (SQLite backend in
// the data folder) by default, or a real MongoDB when a URI is configured.
// Everything above it talks through the official MongoDB driver only, and
// uses only what both FerretDB v1 and MongoDB support: no transactions, no
// change streams, no TTL or partial indexes; idempotency comes from unique
// keys and jobs are claimed with one atomic update.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotFound is returned when a looked-up document does not exist.
var ErrNotFound = errors.New("store: not found")

// Options say which database to use.
type Options struct {
	URI     string // a MongoDB URI; empty starts the embedded FerretDB
	DBName  string
	DataDir string // where the embedded database keeps its files
	Logger  *slog.Logger
}

// Store is an open database connection.
type Store struct {
	Client *mongo.Client
	DB     *mongo.Database

	embedded *ferretdb.FerretDB
	stop     context.CancelFunc
	done     chan struct{}
	once     sync.Once
	log      *slog.Logger
}

// Open connects to the configured database, starting the embedded one when
// no URI is given.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DBName == "" {
		o.DBName = "gehoord"
	}
	s := &Store{log: o.Logger}
	uri := o.URI
	if uri == "" {
		var err error
		uri, err = s.startEmbedded(o)
		if err != nil {
			return nil, err
		}
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second))
	if err != nil {
		s.stopEmbedded()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s.Client = client
	s.DB = client.Database(o.DBName)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Store) startEmbedded(o Options) (string, error) {
	dir := filepath.Join(o.DataDir, "db")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: create data folder: %w", err)
	}
	// FerretDB logs every connection and command below warn, with client
	// addresses: keep only its warnings and errors.
	quiet := slog.New(levelFloor{h: o.Logger.Handler(), min: slog.LevelWarn})
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		return "", fmt.Errorf("store: start embedded database: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.embedded, s.stop, s.done = f, cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		_ = f.Run(ctx)
	}()
	// Operators need this address to mongodump the embedded database.
	o.Logger.Debug("embedded database listening", "uri", f.MongoDBURI(), "dir", dir)
	return f.MongoDBURI(), nil
}

func (s *Store) stopEmbedded() {
	if s.embedded == nil {
		return
	}
	s.stop()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.log.Warn("store: embedded database did not stop in time")
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.DB.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// C returns a collection of the database.
func (s *Store) C(name string) *mongo.Collection { return s.DB.Collection(name) }

// Close disconnects and stops the embedded database; safe to call twice.
func (s *Store) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if s.Client != nil {
			// FerretDB answers the driver's endSessions with "no such
			// command"; that is harmless and not worth reporting.
			_ = s.Client.Disconnect(ctx)
		}
		s.stopEmbedded()
	})
	return err
}

// Index describes one index a package needs.
type Index struct {
	Collection string
	Keys       bson.D
	Unique     bool
	Name       string
}

// EnsureIndexes creates the indexes if they do not exist yet; creating an
// existing index with the same definition is a no-op in both databases.
func (s *Store) EnsureIndexes(ctx context.Context, idx ...Index) error {
	for _, ix := range idx {
		opts := options.Index().SetName(ix.Name)
		if ix.Unique {
			opts.SetUnique(true)
		}
		_, err := s.C(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: opts})
		if err != nil {
			return fmt.Errorf("store: create index %s on %s: %w", ix.Name, ix.Collection, err)
		}
	}
	return nil
}

// IsDuplicate says whether err is a unique-key violation.
func IsDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }

// NotFound maps the driver's "no documents" to ErrNotFound.
func NotFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	return err
}

// NextSequence returns the next number of a named sequence (1, 2, 3…),
// never the same number twice, even across instances. FerretDB v1 loses
// concurrent updates (a $inc can be lost silently), so each number is
// claimed by inserting a document with a unique id; the counter document
// is only a hint of where to start.
func (s *Store) NextSequence(ctx context.Context, name string) (int64, error) {
	var hint struct {
		N int64 `bson:"n"`
	}
	if err := s.C("counters").FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&hint); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, fmt.Errorf("store: read %s hint: %w", name, err)
	}
	n := hint.N
	for range 10000 {
		n++
		_, err := s.C("sequence_claims").InsertOne(ctx, bson.D{
			{Key: "_id", Value: fmt.Sprintf("%s/%d", name, n)}, {Key: "at", Value: time.Now().UTC()},
		})
		if IsDuplicate(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("store: claim %s %d: %w", name, n, err)
		}
		// Raise the hint; losing this write only costs a later caller a
		// few duplicate inserts.
		_, _ = s.C("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: name}},
			bson.D{{Key: "$max", Value: bson.D{{Key: "n", Value: n}}}}, options.UpdateOne().SetUpsert(true))
		return n, nil
	}
	return 0, fmt.Errorf("store: sequence %s: no free number found", name)
}

// ClaimOnce records that the named run (for example "retention/2026-11-27")
// has been claimed by this instance. It returns false when another instance
// claimed it first, so a daily job runs once however many instances run.
func (s *Store) ClaimOnce(ctx context.Context, run, owner string) (bool, error) {
	_, err := s.C("job_runs").InsertOne(ctx, bson.D{
		{Key: "_id", Value: run}, {Key: "owner", Value: owner}, {Key: "at", Value: time.Now().UTC()},
	})
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: claim %s: %w", run, err)
	}
	return true, nil
}

// levelFloor drops records below min; FerretDB is told to use it.
type levelFloor struct {
	h   slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.h.Enabled(ctx, lv)
}

// Handle drops FerretDB's wire-message dumps: they repeat whole commands
// and documents (which can hold personal data) and client addresses.
func (l levelFloor) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Response ") || strings.HasPrefix(r.Message, "Request ") {
		return nil
	}
	return l.h.Handle(ctx, r)
}
func (l levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h: l.h.WithAttrs(a), min: l.min}
}
func (l levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h: l.h.WithGroup(n), min: l.min}
}

// EmbeddedURI is the loopback address of the embedded database, or "" when
// a MongoDB URI was configured.
func (s *Store) EmbeddedURI() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.MongoDBURI()
}
