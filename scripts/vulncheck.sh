#!/usr/bin/env bash
# govulncheck against an offline copy of the Go vulnerability database.
#
# The online database cannot be reached from our machines, but its source is
# a Go module (golang.org/x/vulndb, data/osv/*.json) and its own indexdb
# command builds the layout `govulncheck -db file://…` reads. The built
# database and the govulncheck binary are cached outside the repository
# (GEHOORD_VULNDB_CACHE, default ~/.cache/gehoord-vulndb) and built only when
# missing: a cold build takes a few minutes, a warm check well under one.
#
# Exits non-zero when the code reaches a known vulnerability (govulncheck's
# default "symbol" mode reports only vulnerabilities that are called).
# Raise VULNDB_VERSION to take newer advisories; the cache is per version.
# Arguments go to govulncheck (e.g. `-show verbose` also lists what is
# imported or required but not called).
set -euo pipefail
cd "$(dirname "$0")/.."

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0
GO=${GO:-go}

cache=${GEHOORD_VULNDB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gehoord-vulndb}
db=$cache/db-$VULNDB_VERSION
# govulncheck type-checks our code with the go/types it was compiled with, so
# it must be built by the same Go as the code: one binary per Go version.
bin=$cache/govulncheck-$GOVULNCHECK_VERSION-$("$GO" env GOVERSION)

if [ ! -x "$bin/govulncheck" ]; then
  echo "vulncheck: installing govulncheck $GOVULNCHECK_VERSION into $bin" >&2
  mkdir -p "$bin"
  SECONDS=0
  GOBIN=$bin "$GO" install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
  echo "vulncheck: govulncheck installed in ${SECONDS}s" >&2
fi

if [ ! -f "$db/index/db.json" ]; then
  mkdir -p "$cache"
  echo "vulncheck: building the vulnerability database $VULNDB_VERSION into $db" >&2
  SECONDS=0
  src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
    echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2
    exit 2
  fi
  # Build beside the final folder and rename, so an interrupted build never
  # leaves a half database that later runs would trust.
  tmp=$(mktemp -d "$cache/db-build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db"
  rm -rf "$db"
  mv -T "$tmp/db" "$db"
  echo "vulncheck: database built in ${SECONDS}s" >&2
fi

# GOTOOLCHAIN (set by the Makefile and .ci/run) makes the go command that
# govulncheck calls report the Go version the desk is built with, so the
# standard library is checked at that version.
"$bin/govulncheck" -db "file://$db" "$@" ./...
