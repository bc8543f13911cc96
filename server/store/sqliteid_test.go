package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestLookupsByIDUseAnIndex: the embedded database finds, updates and
// deletes a document by _id through `_ferretdb_sjson->'$._id'`; each table
// has an index on exactly that, or every such query reads the whole table.
// A table made after start-up (its first insert) gets it at the next sweep.
func TestLookupsByIDUseAnIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), DBName: "idx"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.EnsureIndexes(ctx, Index{Collection: "early", Keys: bson.D{{Key: "k", Value: 1}}, Name: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, "late", bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SweepClaims(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+s.sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, coll := range []string{"early", "late", claimsColl} {
		var table string
		if err := db.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?`, coll+"_%").Scan(&table); err != nil {
			t.Fatalf("%s: %v", coll, err)
		}
		// FerretDB v1.24's query (backends/sqlite collection.Query).
		rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM `+quoteIdent(table)+
			` WHERE _ferretdb_sjson->'$._id' = ? LIMIT ?`, `"a"`, 1)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+table+sqliteIDIndex) {
			t.Errorf("%s: a look-up by _id is %q, want a search with the index %s", coll, p, table+sqliteIDIndex)
		}
	}
}
