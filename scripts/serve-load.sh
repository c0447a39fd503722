#!/usr/bin/env bash
# The preview service under load: starts `promo-liquid serve` (release build) on
# loopback and drives it with wrk, first GET /healthz (the baseline: the HTTP stack
# alone), then POST /v1/render of a realistic push (the bundled coupon push for its
# sample record, a compiled-message cache hit as when an editor or a sender repeats a
# message). Each run is bounded in time; it prints requests/s, p50/p99 latency and
# errors for both, and exits 1 if any request failed.
#
#   scripts/serve-load.sh [SECONDS] [CONNECTIONS]     (default 10 s, 32 connections)
#
# Both the server and wrk share the machine's cores: the numbers are for the whole
# box, load generator included.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
binary=${PROMO_LIQUID:-target/release/promo-liquid}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[[ -n ${PROMO_LIQUID:-} ]] || cargo build --release --quiet
out=target/serve-load
mkdir -p "$out"

python3 - "$out/render.json" <<'PY'
import json, sys
body = {
    "message": open("templates/coupon-rewarded.push.toml").read(),
    "name": "templates/coupon-rewarded.push.toml",
    "record": json.load(open("templates/records/coupon-rewarded.json")),
    "tz": "Asia/Kolkata",
    "now": "2026-10-30T09:00:00+05:30",
}
open(sys.argv[1], "w").write(json.dumps(body))
PY

"$binary" serve --listen 127.0.0.1:0 --max-concurrent 256 >"$out/server.out" 2>"$out/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $out/server.out ]] && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$out/server.out")
[[ -n $addr ]] || { cat "$out/server.err" >&2; exit 1; }

# The render must be a rendered push, or the numbers mean nothing.
curl -sf -H 'content-type: application/json' --data-binary @"$out/render.json" "$addr/v1/render" >"$out/render.out"
grep -q '"outcome": "rendered"' "$out/render.out" || { echo "the render failed:" >&2; cat "$out/render.out" >&2; exit 1; }

run() { # NAME PATH [BODY_FILE]
  BODY_FILE=${3:-} wrk -t1 -c"$connections" -d"${seconds}s" --timeout 2s -s scripts/serve-load.lua "$addr$2" \
    >"$out/$1.wrk" 2>&1
  local line
  line=$(grep '^RESULT' "$out/$1.wrk") || { cat "$out/$1.wrk" >&2; exit 1; }
  echo "$1 $line"
}
echo "promo-liquid serve under wrk: ${seconds}s a run, $connections connections, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) before"
results=$(run healthz /healthz; run render /v1/render "$out/render.json")
printf '%-10s %12s %10s %10s %8s\n' route requests/s p50_ms p99_ms errors
echo "$results" | while read -r name _ requests seconds rps p50 p99 max errors non2xx; do
  printf '%-10s %12s %10s %10s %8s\n' "$name" "${rps#rps=}" "${p50#p50_ms=}" "${p99#p99_ms=}" \
    "$(( ${errors#errors=} + ${non2xx#non2xx=} ))"
done
echo "$results" | grep -q 'errors=0 non2xx=0$' || exit 1
[[ $(echo "$results" | grep -c 'errors=0 non2xx=0$') == 2 ]]
