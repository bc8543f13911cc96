package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// owners maps each collection to the one package that reads and writes it;
// every other package asks that package's API.
var owners = map[string]string{
	"cases":              "server/cases",
	"case_events":        "server/cases",
	"themes":             "server/cases",
	"status_returns":     "server/cases",
	"card_batches":       "server/cards",
	"cards":              "server/cards",
	"card_scans":         "server/cards",
	"card_handouts":      "server/cards",
	"outreach_rounds":    "server/outreach",
	"outreach_cards":     "server/outreach",
	"outreach_devices":   "server/outreach",
	"push_claims":        "server/push",
	"push_jobs":          "server/push",
	"push_keys":          "server/push",
	"push_preferences":   "server/push",
	"push_subscriptions": "server/push",
	"public_views":       "server/web/public",
	"audit_log":          "server/audit",
	"rate_limits":        "server/ratelimit",
	"sessions":           "server/staff",
	"staff_users":        "server/staff",
	"organisations":      "server/socialmap",
	// The store's own: write claims, sequences, once-only job runs.
	"write_claims":    "server/store",
	"counters":        "server/store",
	"sequence_claims": "server/store",
	"job_runs":        "server/store",
}

// readers are the declared exceptions: packages that name another domain's
// collections, and why.
var readers = map[string][]string{
	// The statistics read a projection of non-personal fields of the cases,
	// their timeline steps, the status page returns and the card counts —
	// aggregates across domains for the reports. They never write (the
	// write route and TestNoPackageWritesAroundTheStore see to that); a
	// query per owner would only repeat these projections one to one.
	"server/reports": {"cases", "case_events", "status_returns", "card_batches", "card_handouts", "card_scans"},
}

// wholeDatabase are packages that handle every collection as data, through
// the store: the backup and restore, and key rotation re-sealing every
// sealed field (server/cli/keys.go lists them by collection).
var wholeDatabase = []string{"server/cli"}

// storeMethods take a collection name.
var storeMethods = map[string]bool{"C": true, "Collection": true, "Insert": true, "InsertAll": true, "Update": true,
	"UpdateAll": true, "Upsert": true, "Change": true, "Delete": true, "DeleteAll": true, "Purge": true}

// TestEachDomainOwnsItsCollections: outside the owner, no package names a
// collection — as a store call's argument, a constant, an index, a table
// entry, or the owner's exported constant — unless declared above.
func TestEachDomainOwnsItsCollections(t *testing.T) {
	root := filepath.Join("..", "..")
	type use struct {
		pkg, where, name string
	}
	var uses []use
	exported := map[string]string{} // "cases.CollectionReturns" → collection
	var selectors []use             // pkg.Name references, resolved after the walk
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		str := func(e ast.Expr) (string, bool) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		note := func(e ast.Expr, unknownFails bool) {
			s, ok := str(e)
			if !ok {
				return
			}
			if _, known := owners[s]; known {
				uses = append(uses, use{pkg, fset.Position(e.Pos()).String(), s})
			} else if unknownFails {
				t.Errorf("%s: collection %q has no owner in the table", fset.Position(e.Pos()), s)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && storeMethods[sel.Sel.Name] {
					for _, a := range n.Args {
						note(a, sel.Sel.Name == "C")
					}
				}
			case *ast.ValueSpec:
				for i, v := range n.Values {
					note(v, false)
					if s, ok := str(v); ok && owners[s] == pkg && i < len(n.Names) && n.Names[i].IsExported() {
						exported[f.Name.Name+"."+n.Names[i].Name] = s
					}
				}
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "bson" {
						return true // field names, not collections
					}
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok {
							if k.Name == "Collection" {
								note(kv.Value, true)
							}
							continue
						}
						note(kv.Key, false)
						continue
					}
					note(el, false)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok {
					selectors = append(selectors, use{pkg, fset.Position(n.Pos()).String(), x.Name + "." + n.Sel.Name})
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range selectors {
		if c, ok := exported[s.name]; ok {
			uses = append(uses, use{s.pkg, s.where, c})
		}
	}
	named := map[string]bool{}
	for _, u := range uses {
		owner := owners[u.name]
		switch {
		case u.pkg == owner:
			named[u.name] = true
		case slices.Contains(readers[u.pkg], u.name), slices.Contains(wholeDatabase, u.pkg):
		default:
			t.Errorf("%s: %s names %s's collection %q; ask %s instead", u.where, u.pkg, owner, u.name, owner)
		}
	}
	// The table stays true: each owner names its collections.
	for c, owner := range owners {
		if !named[c] {
			t.Errorf("collection %q: its owner %s never names it (stale table?)", c, owner)
		}
	}
}
