#!/usr/bin/env bash
# schemathesis against the preview service's own OpenAPI document: starts
# `promo-liquid serve` on a free loopback port, runs schemathesis against
# /v1/openapi.json with every check (SCHEMATHESIS_CHECKS to choose), and fails on any
# server error (5xx), any response that breaks the document (status code, content
# type, headers, body schema), a valid request refused or an invalid one accepted.
#
#   scripts/serve-schemathesis.sh [PROMO_LIQUID_BINARY] [extra schemathesis options]
#
# schemathesis comes from $SCHEMATHESIS, else target/ci/venv (made by .ci/run), else
# PATH. Reports go to target/schemathesis/, and so does schemathesis's cache of the
# failures it found (replayed first on the next run), which it would otherwise keep in
# .schemathesis/ at the repository's root.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/promo-liquid}
shift || true
st=${SCHEMATHESIS:-}
if [[ -z $st ]]; then
  if [[ -x target/ci/venv/bin/schemathesis ]]; then st=target/ci/venv/bin/schemathesis
  elif command -v schemathesis >/dev/null; then st=schemathesis
  else echo "schemathesis is not installed: pip install schemathesis (as .ci/run does)" >&2; exit 2; fi
fi
out=target/schemathesis
mkdir -p "$out"
config=$out/schemathesis.toml
printf '[cache]\ndirectory = "%s"\n' "$PWD/$out/cache" >"$config"
"$binary" serve --listen 127.0.0.1:0 --max-concurrent 256 >"$out/server.out" 2>"$out/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [[ -s $out/server.out ]] && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$out/server.out")
[[ -n $addr ]] || { echo "the server did not start:" >&2; cat "$out/server.err" >&2; exit 1; }
echo "schemathesis against $addr/v1/openapi.json"
"$st" --config-file "$config" run "$addr/v1/openapi.json" \
  --checks "${SCHEMATHESIS_CHECKS:-all}" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" \
  --report junit --report-dir "$out" \
  "$@"
