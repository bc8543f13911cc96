package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWiringSetsNothingAfterConstruction: the wiring (server.go,
// wire_*.go) gives each service what it needs in its constructor, in
// dependency order; a setter called afterwards (SetCards, SetDesk…) would
// hide an order that only holds by accident.
func TestWiringSetsNothingAfterConstruction(t *testing.T) {
	// A request's own context (c, Fiber's) may be given values; a service
	// may not be given its dependencies.
	setter := regexp.MustCompile(`(?:^|[^\w.])(\w+)(?:\.\w+)*\.Set[A-Z]\w*\(`)
	files, err := filepath.Glob("wire_*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, "server.go") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := setter.FindStringSubmatch(line); m != nil && m[1] != "c" {
				t.Errorf("%s:%d sets a dependency after construction: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
