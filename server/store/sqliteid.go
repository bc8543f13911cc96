package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
)

// The embedded database keeps each collection in a SQLite table and
// indexes _id as `_ferretdb_sjson->"_id"`, but it looks documents up, and
// updates and deletes them, by `_ferretdb_sjson->'$._id'`: SQLite does not
// see these as the same expression, so every read, update and delete by
// _id read every row of the table and parsed its JSON (FerretDB v1.24
// backends/sqlite: metadata.IDColumn against registry.indexesCreate). A
// case creation or a status look-up then cost time in proportion to the
// number of cases. indexByID gives every table the index its own queries
// use. It changes no document and no answer, only how SQLite finds rows;
// it is kept with the table (a backup carries it) and is made again for
// tables that are new since.
const sqliteIDIndex = "_gehoord_id"

// indexByID makes the index on every collection table of the embedded
// database that lacks it. On MongoDB there is nothing to do.
func (s *Store) indexByID(ctx context.Context) error {
	if s.sqlitePath == "" {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+s.sqlitePath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("store: open the embedded database's file: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_ferretdb\_%' ESCAPE '\' AND sql LIKE '%_ferretdb_sjson%'`)
	if err != nil {
		return fmt.Errorf("store: list the embedded database's tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("store: list the embedded database's tables: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list the embedded database's tables: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`,
			quoteIdent(t+sqliteIDIndex), quoteIdent(t))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: index %s by _id: %w", t, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// embeddedDirs maps the address of each embedded database this process
// runs to its folder, so a store opened on that address (a second
// instance in one process, as in tests) finds the file too.
var embeddedDirs sync.Map

// sqliteFile is where the embedded database keeps database name: one file
// per database in its folder (FerretDB's SQLite backend).
func sqliteFile(dir, name string) string { return filepath.Join(dir, name+".sqlite") }
