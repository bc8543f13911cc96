package view

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// Asset is one static file with its content hash.
type Asset struct {
	Name, Hashed, Type string
	Body               []byte
}

// Assets maps file names to content-hashed URLs, so a changed file gets a
// new URL and every URL can be cached for a year.
type Assets struct {
	byName   map[string]*Asset
	byHashed map[string]*Asset
	prefix   string
}

// NewAssets reads every file of fsys; URLs start with prefix (e.g. "/assets/").
func NewAssets(fsys fs.FS, prefix string) (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, byHashed: map[string]*Asset{}, prefix: prefix}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		hashed := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		t := mime.TypeByExtension(ext)
		switch ext {
		case ".js", ".mjs":
			t = "text/javascript; charset=utf-8"
		case ".css":
			t = "text/css; charset=utf-8"
		case ".svg":
			t = "image/svg+xml"
		case ".webmanifest":
			t = "application/manifest+json"
		}
		as := &Asset{Name: p, Hashed: hashed, Type: t, Body: b}
		a.byName[p], a.byHashed[hashed] = as, as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("view: read assets: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of a file; an unknown name panics at render,
// which the start-up template check turns into a failed start.
func (a *Assets) URL(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("view: no asset %q", name)
	}
	return a.prefix + as.Hashed, nil
}

// ByHashed finds a file by its hashed name.
func (a *Assets) ByHashed(h string) (*Asset, bool) { as, ok := a.byHashed[h]; return as, ok }
