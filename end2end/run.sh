#!/usr/bin/env bash
# Runs the browser tests against the release build, once on a fresh SQLite
# file and once on a fresh PostgreSQL database, then reports the widget's
# first-load size. Needs the release build (tools/build.sh) first (tools/test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/env.sh"
cd "$ROOT/end2end"
export PLAYWRIGHT_BROWSERS_PATH=0 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

work="$(mktemp -d /tmp/fixline-e2e.XXXXXX)"
pid=""
pg_db=""
finish() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$pg_db" ] && psql -q "$FIXLINE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap finish EXIT

start_server() {
  local url="$1" port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  intranet="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  # The demo intranet is another site (localhost vs 127.0.0.1): the widget runs as a third-party frame.
  # Every test's customers and staff come from 127.0.0.1: like a whole
  # hospital behind one egress address, only busier, so the per-address
  # limits are raised (their defaults are tested in server/tests/http/edge.rs).
  "$ROOT/target/release/fixline" --demo --addr "127.0.0.1:$port" --demo-intranet "127.0.0.1:$intranet" \
    --submit-rate-per-minute 600 --login-rate-per-minute 600 \
    --notify-any-url --notify-every-ms 300 \
    --database-url "$url" >"$work/server.log" 2>&1 &
  export FIXLINE_INTRANET_URL="http://localhost:$intranet"
  pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      export FIXLINE_BASE_URL="http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1
}

stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

echo "-- end-to-end on SQLite" >&2
start_server "sqlite://$work/e2e.db"
npx playwright test
# The widget's first open is what its report form needs to work: the page,
# its stylesheet and the inline loader, at most 100 KB brotli. The code
# (intake bundle and split loader) follows once the page has loaded: with
# it, at most 160 KB (a gate on the WASM's growth). The guide walk and the
# case tracker are chunks fetched on first use, listed after the totals.
echo "-- widget sizes (first open ≤ 100 KB brotli, with its code ≤ 160 KB)" >&2
node size-report.mjs "$FIXLINE_BASE_URL/widget/demo-hospital" 100 --code-budget 160 \
  /pkg/split_widget_guide.wasm /pkg/split_widget_cases.wasm $(cd ../target/site/pkg && ls chunk_*.wasm 2>/dev/null | sed 's|^|/pkg/|')
echo "-- console first-load size (staff pages; no budget)" >&2
node size-report.mjs "$FIXLINE_BASE_URL/console/login"
stop_server

echo "-- end-to-end on PostgreSQL" >&2
: "${FIXLINE_TEST_PG_URL:?set by tools/test}"
pg_db="fixline_e2e_$$"
psql -q "$FIXLINE_TEST_PG_URL" -c "CREATE DATABASE $pg_db" >/dev/null
start_server "$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$FIXLINE_TEST_PG_URL" "$pg_db")"
npx playwright test
stop_server
