#!/usr/bin/env bash
# Runs the fuzz targets (README, "Fuzzing"), each for SECONDS (default 30), after
# writing the seed corpora (examples/fuzz_seeds.rs) into fuzz/corpus/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     targets: compile render record message batch_line
#
# With a nightly toolchain it runs `cargo +nightly fuzz` (AddressSanitizer); with stable
# only, `RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none`. A crash leaves its input in
# fuzz/artifacts/TARGET/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(compile render record message batch_line)
fi

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo run --quiet --example fuzz_seeds -- fuzz/corpus

if cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
  sanitizer=()
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  sanitizer=(--sanitizer none)
fi

for target in "${targets[@]}"; do
  echo "== fuzz $target for ${seconds} s"
  "${fuzz[@]}" run "${sanitizer[@]}" "$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
