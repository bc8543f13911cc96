// Package assets holds the static files (CSS, scripts, icons) served under
// content-hashed URLs with a one-year immutable cache.
package assets

import "embed"

// FS holds the files.
//
//go:embed *.css *.js icons
var FS embed.FS
