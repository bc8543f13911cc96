package store

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	_ "modernc.org/sqlite" // the SQLite FerretDB uses, for VACUUM INTO
)

// A backup is one gzip stream of BSON records: a manifest (what the
// command put there, plus "t": "manifest"), then per collection a record
// naming it and its indexes followed by one record per document, and an
// end record with the counts, so a cut-off file is told from a whole one.
// The same format comes from the embedded database and from MongoDB, and
// restores into either: restoring an embedded backup into MongoDB is the
// way to move.
const backupFormat = "gehoord-backup-1"

// notBackedUp are collections whose documents only matter to the process
// that wrote them: a write claim held by a process of the old database
// would only block its document for the lease.
var notBackedUp = map[string]bool{claimsColl: true}

// SnapshotEmbedded copies the embedded database of dataDir into
// destDataDir/db as one consistent moment, also while a server runs on
// it: SQLite's VACUUM INTO reads inside one transaction (FerretDB keeps
// the file in WAL mode, so the server's writes go on meanwhile). Open a
// Store on destDataDir to read the copy.
func SnapshotEmbedded(ctx context.Context, dataDir, dbName, destDataDir string) error {
	if dbName == "" {
		dbName = "gehoord"
	}
	src := filepath.Join(dataDir, "db", dbName+".sqlite")
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: no embedded database at %s: %w", src, err)
	}
	dest := filepath.Join(destDataDir, "db")
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return fmt.Errorf("store: make snapshot folder: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("store: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", filepath.Join(dest, dbName+".sqlite")); err != nil {
		return fmt.Errorf("store: snapshot %s: %w", src, err)
	}
	return nil
}

// BackupStats counts what a backup or restore carried.
type BackupStats struct {
	Collections, Documents int
}

// Dump writes every collection of the database, with its indexes, to w as
// a backup; manifest is stored first, for the restore to check. Each
// collection is read in one pass: on the embedded database dump a
// snapshot (SnapshotEmbedded) so all collections show one moment.
func (s *Store) Dump(ctx context.Context, w io.Writer, manifest bson.D) (BackupStats, error) {
	var st BackupStats
	gz := gzip.NewWriter(w)
	bw := bufio.NewWriter(gz)
	put := func(v any) error {
		b, err := bson.Marshal(v)
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	}
	if err := put(append(bson.D{{Key: "t", Value: "manifest"}, {Key: "format", Value: backupFormat}}, manifest...)); err != nil {
		return st, err
	}
	names, err := s.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return st, fmt.Errorf("store: list collections: %w", err)
	}
	for _, name := range names {
		if notBackedUp[name] {
			continue
		}
		specs, err := s.C(name).Indexes().ListSpecifications(ctx)
		if err != nil {
			return st, fmt.Errorf("store: list indexes of %s: %w", name, err)
		}
		var idx bson.A
		for _, sp := range specs {
			if sp.Name == "_id_" {
				continue
			}
			idx = append(idx, bson.D{{Key: "name", Value: sp.Name}, {Key: "keys", Value: sp.KeysDocument},
				{Key: "unique", Value: sp.Unique != nil && *sp.Unique}})
		}
		if err := put(bson.D{{Key: "t", Value: "collection"}, {Key: "name", Value: name}, {Key: "indexes", Value: idx}}); err != nil {
			return st, err
		}
		st.Collections++
		cur, err := s.C(name).Find(ctx, bson.D{})
		if err != nil {
			return st, fmt.Errorf("store: read %s: %w", name, err)
		}
		for cur.Next(ctx) {
			if err := put(bson.D{{Key: "t", Value: "doc"}, {Key: "d", Value: cur.Current}}); err != nil {
				_ = cur.Close(ctx)
				return st, err
			}
			st.Documents++
		}
		err = cur.Err()
		_ = cur.Close(ctx)
		if err != nil {
			return st, fmt.Errorf("store: read %s: %w", name, err)
		}
	}
	if err := put(bson.D{{Key: "t", Value: "end"}, {Key: "collections", Value: st.Collections}, {Key: "documents", Value: st.Documents}}); err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	return st, gz.Close()
}

// Backup is a backup being read: its manifest first, to be checked
// before anything is written.
type Backup struct {
	Manifest bson.Raw
	r        *bufio.Reader
}

// ErrNotBackup is returned for a file that is not a Gehoord backup, or is
// cut off or damaged.
var ErrNotBackup = errors.New("store: not a whole Gehoord backup")

// OpenBackup reads a backup's manifest.
func OpenBackup(r io.Reader) (*Backup, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	b := &Backup{r: bufio.NewReader(gz)}
	m, err := b.next()
	if err != nil {
		return nil, err
	}
	if t, _ := m.Lookup("t").StringValueOK(); t != "manifest" {
		return nil, ErrNotBackup
	}
	if f, _ := m.Lookup("format").StringValueOK(); f != backupFormat {
		return nil, fmt.Errorf("%w: format %q, this version reads %q", ErrNotBackup, f, backupFormat)
	}
	b.Manifest = m
	return b, nil
}

func (b *Backup) next() (bson.Raw, error) {
	var head [4]byte
	if _, err := io.ReadFull(b.r, head[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	n := binary.LittleEndian.Uint32(head[:])
	if n < 5 || n > 64<<20 {
		return nil, ErrNotBackup
	}
	doc := make([]byte, n)
	copy(doc, head[:])
	if _, err := io.ReadFull(b.r, doc[4:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	raw := bson.Raw(doc)
	if err := raw.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	return raw, nil
}

// ErrNotEmpty is returned when a restore finds documents in the database.
var ErrNotEmpty = errors.New("store: the database is not empty")

// Empty says whether no collection of the database holds a document
// (write claims aside: opening the store makes that collection).
func (s *Store) Empty(ctx context.Context) (bool, error) {
	names, err := s.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return false, fmt.Errorf("store: list collections: %w", err)
	}
	for _, name := range names {
		if notBackedUp[name] {
			continue
		}
		n, err := s.C(name).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
		if err != nil {
			return false, fmt.Errorf("store: count %s: %w", name, err)
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

// Restore writes a backup into this database, which must be empty: the
// indexes first (so the restored data meets them as it did before), then
// the documents, in batches. It fails on a cut-off backup; what was
// written by then stays, and the operator empties the folder and starts
// again.
func (s *Store) Restore(ctx context.Context, b *Backup) (BackupStats, error) {
	var st BackupStats
	if empty, err := s.Empty(ctx); err != nil {
		return st, err
	} else if !empty {
		return st, ErrNotEmpty
	}
	var coll string
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.InsertAll(ctx, coll, batch); err != nil {
			return fmt.Errorf("store: restore %s: %w", coll, err)
		}
		st.Documents += len(batch)
		batch = batch[:0]
		return nil
	}
	for {
		rec, err := b.next()
		if err != nil {
			return st, err
		}
		switch t, _ := rec.Lookup("t").StringValueOK(); t {
		case "collection":
			if err := flush(); err != nil {
				return st, err
			}
			coll, _ = rec.Lookup("name").StringValueOK()
			if coll == "" {
				return st, ErrNotBackup
			}
			if err := s.restoreIndexes(ctx, coll, rec.Lookup("indexes")); err != nil {
				return st, err
			}
			st.Collections++
		case "doc":
			d, ok := rec.Lookup("d").DocumentOK()
			if !ok || coll == "" {
				return st, ErrNotBackup
			}
			batch = append(batch, d)
			if len(batch) == 500 {
				if err := flush(); err != nil {
					return st, err
				}
			}
		case "end":
			if err := flush(); err != nil {
				return st, err
			}
			nc, _ := rec.Lookup("collections").AsInt64OK()
			nd, _ := rec.Lookup("documents").AsInt64OK()
			if int(nc) != st.Collections || int(nd) != st.Documents {
				return st, fmt.Errorf("%w: the end record counts %d collections and %d documents, the file held %d and %d",
					ErrNotBackup, nc, nd, st.Collections, st.Documents)
			}
			return st, nil
		default:
			return st, ErrNotBackup
		}
	}
}

func (s *Store) restoreIndexes(ctx context.Context, coll string, v bson.RawValue) error {
	if err := s.DB.CreateCollection(ctx, coll); err != nil && !isNamespaceExists(err) {
		return fmt.Errorf("store: create %s: %w", coll, err)
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return nil
	}
	vals, err := arr.Values()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	for _, iv := range vals {
		ix, ok := iv.DocumentOK()
		if !ok {
			return ErrNotBackup
		}
		name, _ := ix.Lookup("name").StringValueOK()
		keys, ok := ix.Lookup("keys").DocumentOK()
		if !ok || name == "" {
			return ErrNotBackup
		}
		unique, _ := ix.Lookup("unique").BooleanOK()
		var kd bson.D
		if err := bson.Unmarshal(keys, &kd); err != nil {
			return fmt.Errorf("%w: %v", ErrNotBackup, err)
		}
		if err := s.EnsureIndexes(ctx, Index{Collection: coll, Keys: kd, Unique: unique, Name: name}); err != nil {
			return err
		}
	}
	return nil
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}

// floorID is the counters document that every sequence starts above.
const floorID = "_floor"

// ReferenceMargin is how far RaiseSequences lifts every sequence above
// the highest number in a restored backup, before the time allowance.
const ReferenceMargin = 10000

// RaiseSequences is run once after a restore: numbers handed out between
// the backup and the restore (references on her receipt, on a letter) are
// not in the backup, and must never be handed out again. Nothing in the
// restored database knows how many there were, so every sequence (also
// one first used after the backup, such as a new year's) continues above
// highest + ReferenceMargin + one per minute from takenAt until now: safe
// as long as fewer than that many were handed out in that time, which is
// far beyond this desk's volume. A second restore of the same backup later
// lifts further (more minutes have passed), so it also stays above what
// the first restored database handed out. It returns the new floor.
func (s *Store) RaiseSequences(ctx context.Context, takenAt, now time.Time) (int64, error) {
	highest := int64(0)
	cur, err := s.C("counters").Find(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("store: read counters: %w", err)
	}
	for cur.Next(ctx) {
		if v, ok := cur.Current.Lookup("n").AsInt64OK(); ok && v > highest {
			highest = v
		}
	}
	_ = cur.Close(ctx)
	// The counters are only hints: the claims are the truth.
	cur, err = s.C("sequence_claims").Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("store: read sequence claims: %w", err)
	}
	for cur.Next(ctx) {
		id, _ := cur.Current.Lookup("_id").StringValueOK()
		if i := strings.LastIndexByte(id, '/'); i >= 0 {
			if v, err := strconv.ParseInt(id[i+1:], 10, 64); err == nil && v > highest {
				highest = v
			}
		}
	}
	_ = cur.Close(ctx)
	minutes := int64(max(now.Sub(takenAt), 0) / time.Minute)
	floor := highest + ReferenceMargin + minutes
	if err := s.Upsert(ctx, "counters", floorID, bson.D{{Key: "$max", Value: bson.D{{Key: "n", Value: floor}}}}); err != nil {
		return 0, fmt.Errorf("store: raise sequences: %w", err)
	}
	return floor, nil
}
