#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and serves the
# lab on http://127.0.0.1:8080 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
scripts/setup.sh rust
# The wasm-bindgen CLI compiles (on a fresh machine) while the engine and the
# CLI do; scripts/build.sh then finds both built.
setsid scripts/setup.sh page &
page_setup=$!
trap 'kill -- -"$page_setup" 2>/dev/null || true' EXIT
cargo build --release --lib --target wasm32-unknown-unknown -q
cargo build --release --bin fa-lab -q
wait "$page_setup" || { echo "serve: scripts/setup.sh page failed (above)" >&2; exit 1; }
trap - EXIT
scripts/build.sh
# A plain static server: no reload script is injected (the page's Content-Security-Policy allows none).
exec node scripts/static.mjs dist 8080
