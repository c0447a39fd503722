#!/usr/bin/env bash
# Instructions per record of `batch`, of `worker` and of the redis-server serving the
# worker, counted by valgrind's callgrind in one run on the same records: unlike the
# wall clock, instruction counts do not move with the load of a shared machine.
#
#   scripts/worker-instructions.sh [RECORDS]        (default 20000)
#
# Each program renders RECORDS and RECORDS/10 records (the same generated wallet
# events as scripts/worker-bench.sh, templates/wallet.push.toml, one rendering thread):
# the difference divided by the difference in records is the cost of a record, start-up
# and the first records cancelled out. redis-server runs under callgrind for the whole
# script; its counters are zeroed before each worker run and dumped after it, so its
# count is what it did for that worker (XREADGROUP, the write script, XINFO). Needs
# valgrind, redis-server, redis-cli and a release build (built here).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-20000}
small=$((records / 10))
message=${MESSAGE:-templates/wallet.push.toml}

cargo build --release --quiet --bin promo-liquid --example gen_records
bin=$PWD/target/release/promo-liquid
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$work/redis.%p" \
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  >/dev/null 2>"$work/redis.valgrind" &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null; rm -rf "$work"' EXIT
url=redis://127.0.0.1:$port
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done

target/release/examples/gen_records "$records" --events "CT Points Credited,CT Points Debited" >"$work/big.ndjson"
head -n "$small" "$work/big.ndjson" >"$work/small.ndjson"

# The instructions callgrind counted for one run of the promo-liquid command "$@".
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 >/dev/null |
    awk '/Collected :/ { print $NF }'
}
# The instructions redis-server spent since the last zeroing.
redis_count() {
  rm -f "$work"/redis.*.*
  callgrind_control -d "$redis_pid" >/dev/null
  cat "$work"/redis.*.* | awk '/^summary:/ { print $2 }'
}
worker_counts() { # file -> "worker redis"
  redis-cli -p "$port" flushall >/dev/null
  "$bin" stream-load --redis "$url" --stream in -i "$1" 2>/dev/null
  callgrind_control -z "$redis_pid" >/dev/null
  local w
  w=$(count worker "$message" --redis "$url" --stream in --group g --output-stream out \
    --drain --progress 0 --jobs 1)
  echo "$w $(redis_count)"
}

b_big=$(count batch "$message" -i "$work/big.ndjson" -o /dev/null --jobs 1 || true)
b_small=$(count batch "$message" -i "$work/small.ndjson" -o /dev/null --jobs 1 || true)
read -r w_big r_big <<<"$(worker_counts "$work/big.ndjson")"
read -r w_small r_small <<<"$(worker_counts "$work/small.ndjson")"
[ "$(redis-cli -p "$port" xlen out)" = "$small" ] || { echo "the worker's output is short" >&2; exit 1; }

awk -v n=$((records - small)) -v bb="$b_big" -v bs="$b_small" -v wb="$w_big" -v ws="$w_small" \
  -v rb="$r_big" -v rs="$r_small" -v records="$records" 'BEGIN {
  b = (bb - bs) / n; w = (wb - ws) / n; r = (rb - rs) / n
  printf "instructions per record (%d and %d records, one rendering thread):\n", records, records / 10
  printf "  batch                 %8.0f\n", b
  printf "  worker                %8.0f  (%.2f of batch)\n", w, w / b
  printf "  redis-server          %8.0f\n", r
  printf "  worker + redis-server %8.0f  (batch / that = %.2f)\n", w + r, b / (w + r)
}'
