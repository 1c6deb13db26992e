#!/usr/bin/env bash
# Browser tests of the web console against a real server with the demo data.
# Builds bin/siyu, starts `siyu demo` on a free port with a throw-away data directory, waits for
# /readyz, runs `npm --prefix web run e2e`, and always stops the server again.
# The binary embeds web/dist, so the console is built first when web/dist/app is missing (run
# `make web` yourself after changing it). SIYU_CHROMIUM overrides the browser (default
# /usr/bin/chromium).
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ ! -f web/dist/app/index.html ]]; then
  npm --prefix web run build
fi
go build -o bin/siyu ./cmd/siyu

PORT="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')"
DATA="$(mktemp -d)"
LOG="$DATA/siyu.log"
URL="http://127.0.0.1:$PORT"

SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

bin/siyu demo --data "$DATA" --addr "127.0.0.1:$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!

echo "e2e: waiting for $URL/readyz"
deadline=$((SECONDS + 60))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz" || true)" == "200" ]]; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: the server exited; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "e2e: $URL/readyz did not answer 200 within 60s; server log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.5
done

status=0
SIYU_URL="$URL" npm --prefix web run e2e || status=$?
if ((status != 0)); then
  echo "e2e: failed; server log:" >&2
  tail -n 100 "$LOG" >&2
fi
exit "$status"
