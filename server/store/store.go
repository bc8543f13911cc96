// Package store opens the database: an embedded FerretDB (SQLite backend in
// the data folder, reached over a Unix socket only this process can open)
// by default, or a real MongoDB when a URI is configured. Everything above
// it talks through the official MongoDB driver, and uses only what both
// FerretDB v1 and MongoDB support: no transactions, no change streams, no
// TTL or partial indexes.
//
// # What a write guarantees
//
// Every write goes through this package (Insert, InsertAll, Update,
// UpdateAll, Upsert, Delete, DeleteAll; Purge for insert-only collections);
// no other package calls a collection's write methods (a test checks).
// On the embedded database and across any number of instances sharing one
// database, as on MongoDB:
//
//   - A conditional update (a filter on state, on a field's value) changes
//     the document only if its condition still holds at the moment of
//     writing; the loser is told (Update returns false) and nothing of its
//     change is applied.
//   - Two updates of one document never erase each other: each applies to
//     the document as the other left it, so $inc counts exactly and $set of
//     different fields keeps both.
//   - A unique insert is atomic, so single-use things (a TOTP step, a
//     recovery code, a daily job, a case number) are claimed by inserting a
//     document with a unique _id (ClaimOnce, NextSequence).
//
// # How
//
// FerretDB v1 does not apply an update atomically: it finds the matching
// documents, changes them in Go and writes each whole document back by _id
// without checking the filter again (FerretDB v1.24 handler/msg_update.go),
// so two writers of one document can both "win" and erase each other. Its
// one atomic primitive is a unique insert. So every document carries a
// revision (_rev), and a writer first claims the document's current
// revision by inserting {doc, rev, attempt} with a unique _id into
// write_claims; only the holder of that claim writes, with a filter that
// also requires the revision, and the write raises it; then it gives the
// claim back. Every other writer of that document waits (inside one
// process on a mutex, across processes by polling the claim) and then
// works on the new revision, where the caller's condition is checked
// again; one that claims an old revision just after it was given back
// fails its guarded write and starts again. A writer that dies holding a
// claim blocks its document for at most the lease (DefaultLease); after
// that the next attempt number of the same revision can be claimed, and
// a writer never writes after its own lease ran out. On MongoDB the same
// code is correct (there the guarded update alone would be atomic; the
// claim costs an insert and a delete per write, nothing at this desk's
// volume, and keeps one tested path for both databases).
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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/fault"
)

// ErrNotFound is returned when a looked-up document does not exist. It is
// a NotFound fault, so a handler that returns it answers 404 through the
// one mapping (web/problem) without naming it.
var ErrNotFound = fault.New(fault.NotFound, "error.not_found", "store: not found")

// Options say which database to use.
type Options struct {
	URI     string // a MongoDB URI; empty starts the embedded FerretDB
	DBName  string
	DataDir string // where the embedded database keeps its files
	Logger  *slog.Logger
	// WriteLease overrides DefaultLease (tests of a writer that dies).
	WriteLease time.Duration
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
	sockDir  string // a private folder made for the socket, removed on Close
	// sqlitePath is the embedded database's file ("" on MongoDB).
	sqlitePath string
	lock       *os.File // holds the data folder's lock while the database runs

	locks    docLocks
	lease    time.Duration
	inFlight atomic.Int64 // writes under way; Close lets them give their claims back
	fault    atomic.Pointer[writeFault]
	probeID  string // this instance's readiness document
	seqs     seqMemory
	// duplicates counts inserts refused for a unique key (Duplicates).
	duplicates atomic.Uint64
	// commands counts the commands sent, by name (Commands).
	commands commandCounts
}

// seqMemory keeps the last number this process took of each sequence, so
// the next one starts there (see NextSequence).
type seqMemory struct {
	turn sync.Mutex // held by the caller claiming a number (claimNext)
	mu   sync.Mutex
	last map[string]int64
}

func (m *seqMemory) get(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last[name]
}

func (m *seqMemory) took(name string, n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]int64{}
	}
	m.last[name] = max(m.last[name], n)
}

// hintEvery: a sequence's counter document (a hint, see NextSequence) is
// raised every hintEvery numbers, not for each one.
const hintEvery = 16

// Open connects to the configured database, starting the embedded one when
// no URI is given.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DBName == "" {
		o.DBName = "gehoord"
	}
	s := &Store{log: o.Logger, lease: DefaultLease, probeID: probeID()}
	if o.WriteLease > 0 {
		s.lease = o.WriteLease
	}
	uri := o.URI
	if uri == "" {
		var err error
		uri, err = s.startEmbedded(o)
		if err != nil {
			return nil, err
		}
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetMonitor(s.commands.monitor()).
		SetServerSelectionTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second))
	if err != nil {
		s.stopEmbedded()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s.Client = client
	s.DB = client.Database(o.DBName)
	if s.embedded != nil {
		embeddedDirs.Store(uri, filepath.Join(o.DataDir, "db"))
	}
	if dir, ok := embeddedDirs.Load(uri); ok {
		s.sqlitePath = sqliteFile(dir.(string), o.DBName)
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if err := s.EnsureIndexes(ctx, claimIndexes()...); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Store) startEmbedded(o Options) (string, error) {
	if err := writable(o.DataDir); err != nil {
		return "", err
	}
	dir := filepath.Join(o.DataDir, "db")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: create data folder: %w", err)
	}
	// The folder holds the database and its socket: only this user.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: protect data folder: %w", err)
	}
	// Two processes on one SQLite folder would each believe their writes
	// are the only ones: the lock lives as long as this process.
	lock, err := os.OpenFile(filepath.Join(dir, "gehoord.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("store: open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = lock.Close()
		return "", fmt.Errorf("store: another process uses the data folder %s (stop it first): %w", o.DataDir, err)
	}
	s.lock = lock
	sock, err := s.socketPath(dir)
	if err != nil {
		s.unlockDataDir()
		return "", err
	}
	// FerretDB logs every connection and command below warn, with client
	// addresses: keep only its warnings and errors.
	quiet := slog.New(levelFloor{h: o.Logger.Handler(), min: slog.LevelWarn})
	// A Unix socket in a 0700 folder, not a TCP port: the database has no
	// authentication, and any local process could open a loopback port.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		s.removeSockDir()
		s.unlockDataDir()
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

// socketPath is where the embedded database listens: in its folder, or,
// when that path is too long for a socket address (108 bytes on Linux), in
// a private folder of its own.
func (s *Store) socketPath(dir string) (string, error) {
	sock := filepath.Join(dir, "ferretdb.sock")
	if len(sock) > 100 {
		d, err := os.MkdirTemp("", "gehoord-db-") // made with mode 0700
		if err != nil {
			return "", fmt.Errorf("store: make socket folder: %w", err)
		}
		s.sockDir = d
		return filepath.Join(d, "ferretdb.sock"), nil
	}
	// Left by a run that crashed: the lock says no one else is using it.
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("store: remove stale socket: %w", err)
	}
	return sock, nil
}

func (s *Store) unlockDataDir() {
	if s.lock != nil {
		_ = s.lock.Close() // closing drops the flock
		s.lock = nil
	}
}

func (s *Store) removeSockDir() {
	if s.sockDir != "" {
		_ = os.RemoveAll(s.sockDir)
	}
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
	s.removeSockDir()
	s.unlockDataDir()
}

// probeID names this instance's readiness document: instances sharing a
// database each write their own.
func probeID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
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
		// A write cut off by the disconnect would leave its claim, and
		// its document blocked for the lease: let writes under way end.
		for deadline := time.Now().Add(10 * time.Second); s.inFlight.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
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
	// Creating an index made its collection's table: index it by _id too.
	return s.indexByID(ctx)
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
// is only a hint of where to start. This process also starts after the
// last number it took itself, so the hint is raised only every hintEvery
// numbers: a guarded update is five round trips, a case creation's
// largest cost after its receipt hash, and a lagging hint costs another
// instance (or the next start) at most that many duplicate inserts.
func (s *Store) NextSequence(ctx context.Context, name string) (int64, error) {
	ns, err := s.NextSequences(ctx, name, 1)
	if err != nil {
		return 0, err
	}
	return ns[0], nil
}

// NextSequences claims k numbers of a sequence at once, as NextSequence
// claims one, in one insert where none is taken already: a sync's cases
// take their numbers together. They are ascending, not always adjacent.
func (s *Store) NextSequences(ctx context.Context, name string, k int) ([]int64, error) {
	if k <= 0 {
		return nil, nil
	}
	ns, err := s.claimNext(ctx, name, k)
	if err == nil && (ns[0]-1)/hintEvery != ns[k-1]/hintEvery {
		// A multiple of hintEvery was reached: raise the hint; losing this
		// write only costs a later caller a few duplicate inserts.
		_ = s.Upsert(ctx, "counters", name, bson.D{{Key: "$max", Value: bson.D{{Key: "n", Value: ns[k-1]}}}})
	}
	return ns, err
}

// claimNext claims the next k free numbers of the sequence. This
// process's callers take turns: each started after the last number taken
// here, so at once they raced for the same number, and a loser lost again
// to every newcomer for as long as new ones came.
func (s *Store) claimNext(ctx context.Context, name string, k int) ([]int64, error) {
	s.seqs.turn.Lock()
	defer s.seqs.turn.Unlock()
	// Start at the sequence's hint, above the floor a restore set
	// (RaiseSequences), or after this process's last, whichever is higher.
	n := s.seqs.get(name)
	cur, err := s.C("counters").Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{name, floorID}}}}})
	if err != nil {
		return nil, fmt.Errorf("store: read %s hint: %w", name, err)
	}
	for cur.Next(ctx) {
		if v, ok := cur.Current.Lookup("n").AsInt64OK(); ok && v > n {
			n = v
		}
	}
	err = cur.Err()
	_ = cur.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: read %s hint: %w", name, err)
	}
	got := make([]int64, 0, k)
	for range 10000 {
		// The numbers still wanted, from n+1 on, in one ordered insert: it
		// stops at the first one taken (by another instance), which is
		// skipped, and the rest is tried again after it.
		docs := make([]any, k-len(got))
		at := time.Now().UTC()
		for i := range docs {
			docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("%s/%d", name, n+1+int64(i))}, {Key: "at", Value: at}}
		}
		err := s.InsertAll(ctx, "sequence_claims", docs)
		done, dup := len(docs), false
		if err != nil {
			if done, dup = DuplicateAt(err); !dup {
				return nil, fmt.Errorf("store: claim %s %d: %w", name, n+1+int64(done), err)
			}
		}
		for i := range done {
			got = append(got, n+1+int64(i))
		}
		n += int64(done)
		if done > 0 {
			s.seqs.took(name, n)
		}
		if len(got) == k {
			return got, nil
		}
		if dup {
			n++ // another's
		}
	}
	return nil, fmt.Errorf("store: sequence %s: no free number found", name)
}

// ClaimOnce records that the named run (for example "retention/2026-11-27")
// has been claimed by this instance. It returns false when another instance
// claimed it first, so a daily job runs once however many instances run.
func (s *Store) ClaimOnce(ctx context.Context, run, owner string) (bool, error) {
	err := s.Insert(ctx, "job_runs", bson.D{
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

// EmbeddedURI is the address (a Unix socket) of the embedded database, or "" when
// a MongoDB URI was configured.
func (s *Store) EmbeddedURI() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.MongoDBURI()
}
