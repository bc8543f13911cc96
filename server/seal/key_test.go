package seal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A key file others can read is refused, with a message that says what to
// do: whoever reads it can open every sealed field.
func TestLoadKeyRefusesKeyFileOthersCanRead(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o620} {
		dir := t.TempDir()
		if _, err := LoadKey(dir, ""); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, KeyFile)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKey(dir, "")
		if err == nil {
			t.Fatalf("key file with mode %v accepted", mode)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %v: message does not say which file or what to do: %v", mode, err)
		}
	}
	// Owner-only modes stay fine.
	for _, mode := range []os.FileMode{0o600, 0o400} {
		dir := t.TempDir()
		if _, err := LoadKey(dir, ""); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, KeyFile), mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKey(dir, ""); err != nil {
			t.Fatalf("mode %v refused: %v", mode, err)
		}
	}
}
