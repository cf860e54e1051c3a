#!/usr/bin/env bash
# How long each quick figure takes in the page: builds if needed
# (scripts/build.sh), serves dist/ on 127.0.0.1 and runs every quick figure in
# headless Chromium through the page's own worker pool (min(cores, 4) workers),
# timing each until all its runs have finished (tests/e2e/figure-times.mjs).
# Arguments go to the script (e.g. --figures fig6,fig7, --workers 4, --preset paper).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
if [ ! -f dist/fa-lab_bg.wasm ] || [ -n "$(find src www Cargo.toml Cargo.lock -newer dist/fa-lab_bg.wasm -print -quit)" ]; then
  scripts/setup.sh
  scripts/build.sh
fi
exec node tests/e2e/figure-times.mjs "$@"
