#!/usr/bin/env bash
# The README's second command: installs what is missing, then runs every test:
#   0. the gate: cargo fmt --check, clippy -D warnings natively and for wasm32
#      (simd128 from .cargo/config.toml), so CI enforces a clean house
#   1. native: cargo test (core, CLI, data asset)
#   2. the page built (scripts/build.sh --web), and wasm-bindgen-test in
#      headless Chromium (tests/web.rs), in release on the page's build of every crate
#   3. end to end: the built site served on 127.0.0.1 and driven in headless
#      Chromium by playwright-core (tests/e2e), two test files at a time, plus
#      the SIMD check of the .wasm; the native CLI they compare with is the
#      one step 1 built
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
# One clean build each: incremental state would only cost time to write.
export CARGO_INCREMENTAL=0
# Each step's banner says when it began (minutes:seconds since the start).
say() { printf '%s [%d:%02d]\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)) >&2; }
scripts/setup.sh rust
# What the page and the browser need installs meanwhile: the gate and the
# native tests leave a core idle much of the time (one crate compiling, one
# test binary running), and compiling the wasm-bindgen CLI fills it.
# (In its own process group, so that a failing test stops its compiles too.)
setsid scripts/setup.sh web &
web_setup=$!
trap 'kill -- -"$web_setup" 2>/dev/null || true' EXIT

say "== 0/3 format and lint gate"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

say "== 1/3 native tests"
cargo test

say "== 2/3 the page built; wasm tests in headless Chromium"
wait "$web_setup" || { echo "test: scripts/setup.sh web failed (above)" >&2; exit 1; }
scripts/build.sh --web
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --release --target wasm32-unknown-unknown --test web

say "== 3/3 end-to-end tests in headless Chromium"
FA_LAB_CLI=target/debug/fa-lab node --test --test-concurrency=2 tests/e2e/
say "== all passed"
