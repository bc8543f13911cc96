#!/usr/bin/env bash
# Loopback load test of the intake page and the status API with wrk
# (apt-get install wrk). Starts its own server on a free port with a
# throw-away data folder; all traffic stays on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
dir=$(mktemp -d)
port=${PORT:-18181}
GEHOORD_DATA_DIR="$dir" GEHOORD_ADDR="127.0.0.1:$port" GEHOORD_LOG_LEVEL=warn ./bin/gehoord serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
echo "== intake page (gzip), wrk -t2 -c32 -d10s"
wrk -t2 -c32 -d10s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/nl/report"
echo "== home page (gzip)"
wrk -t2 -c32 -d10s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/en/"
