#!/usr/bin/env bash
# The speed benchmark, browser and native in one go: builds if needed
# (scripts/build.sh), serves dist/ on 127.0.0.1, times an FA epoch of the paper
# net in headless Chromium (www/bench.js via tests/e2e/bench.mjs), measures the
# page's peak memory during one paper-preset fig6 run, then runs
# `target/release/fa-lab bench --numpy` and prints epoch times, GFLOP/s and the
# browser/numpy and native/numpy ratios. Arguments go to tests/e2e/bench.mjs
# (e.g. --epochs 7, --no-extras, --mem-seconds 60, --no-memory).
# Rebuilds when dist/ or the CLI is missing or older than a source file
# (BENCH_REBUILD=1 forces it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
stale() {
  [ ! -f dist/fa-lab_bg.wasm ] || [ ! -f dist/bench.js ] || [ ! -x target/release/fa-lab ] ||
    [ -n "$(find src www Cargo.toml Cargo.lock -newer dist/fa-lab_bg.wasm -print -quit)" ] ||
    [ -n "$(find src Cargo.toml Cargo.lock -newer target/release/fa-lab -print -quit)" ]
}
if [ "${BENCH_REBUILD:-0}" = 1 ] || stale; then
  scripts/setup.sh
  scripts/build.sh
fi
exec node tests/e2e/bench.mjs "$@"
