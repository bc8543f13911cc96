// Package i18n holds the message catalogs, one JSON file per language,
// shared by the server's templates and the outreach app.
package i18n

import "embed"

// FS holds the catalogs.
//
//go:embed *.json
var FS embed.FS
