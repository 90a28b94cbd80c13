#!/usr/bin/env bash
# Measures CPU time per request of each wrangler dev process for a trivial Worker,
# under the configurations compared in docs/performance.md. Needs `hey` (Debian).
set -euo pipefail
cd "$(dirname "$0")/floor-worker"
export PATH="$(cd ../.. && pwd)/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false
PORT=${PORT:-18901}
ticks() { for p in "$@"; do awk '{printf "%d ", $14+$15}' "/proc/$p/stat"; done; }
measure() {
  local label=$1; shift
  env "$@" wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port 0 $WRANGLER_ARGS >/dev/null 2>&1 &
  local wpid=$!
  for _ in $(seq 1 60); do curl -sf "127.0.0.1:$PORT/trivial" >/dev/null && break; sleep 0.5; done
  hey -n 200 -c 1 "http://127.0.0.1:$PORT/trivial" >/dev/null
  local node proxy user
  node=$(pgrep -f "wrangler-dist/cli.js dev .*--port $PORT" | head -1)
  proxy=$(pgrep -P "$node" -f "entry=127.0.0.1:$PORT")
  user=$(pgrep -P "$node" -f 'inspector-addr' | head -1)
  local a b rps
  a=($(ticks "$node" "$proxy" "$user"))
  rps=$(hey -n 2000 -c 1 "http://127.0.0.1:$PORT/trivial" | awk '/Requests\/sec/{print $2}')
  b=($(ticks "$node" "$proxy" "$user"))
  printf '%-45s node %5.2f ms  proxy %5.2f ms  user %5.2f ms  req/s %s\n' "$label" \
    "$(echo "(${b[0]}-${a[0]})*10/2000" | bc -l)" "$(echo "(${b[1]}-${a[1]})*10/2000" | bc -l)" "$(echo "(${b[2]}-${a[2]})*10/2000" | bc -l)" "$rps"
  kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true
  while pgrep -f "wrangler-dist/cli.js dev .*--port $PORT" >/dev/null || pgrep -P "$node" >/dev/null; do sleep 0.2; done
}
WRANGLER_ARGS="" measure "defaults" X_LOCAL_OBSERVABILITY=true
WRANGLER_ARGS="" measure "X_LOCAL_OBSERVABILITY=false" X_LOCAL_OBSERVABILITY=false
WRANGLER_ARGS="--log-level warn" measure "X_LOCAL_OBSERVABILITY=false --log-level warn" X_LOCAL_OBSERVABILITY=false
