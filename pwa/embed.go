// Package pwa holds the outreach app's files: the page, its style, the ES
// modules, the service worker and the web app manifest. The server serves
// them under /app/ (server/web/appui) and fills in the service worker's
// cache version; there is no build step.
package pwa

import "embed"

// FS holds the app's files.
//
//go:embed index.html app.css sw.js manifest.webmanifest js/*.js
var FS embed.FS
