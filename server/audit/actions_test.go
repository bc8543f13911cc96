package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/audit"
)

// TestEveryFilteredActionIsWritten: the audit page offers a filter for
// each of Actions, so each must be written somewhere in the code (outside
// this package and tests); an action offered but never written promises
// a record that does not exist.
func TestEveryFilteredActionIsWritten(t *testing.T) {
	// The constants' names by value, from this package's source.
	f, err := parser.ParseFile(token.NewFileSet(), "audit.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Values) == 1 {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				names[v] = vs.Names[0].Name
			}
		}
		return true
	})
	var code strings.Builder
	err = filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") ||
			strings.HasPrefix(filepath.ToSlash(p), "../audit/") {
			return err
		}
		b, err := os.ReadFile(p)
		code.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range audit.Actions {
		name := names[a]
		if name == "" {
			t.Errorf("%s: no constant", a)
			continue
		}
		if !regexp.MustCompile(`Action:\s*audit\.` + name + `\b`).MatchString(code.String()) {
			t.Errorf("the audit page filters on %s (%s), but no code writes it", a, name)
		}
	}
}
