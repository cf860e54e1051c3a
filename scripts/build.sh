#!/usr/bin/env bash
# Builds the page into dist/ and the embeddable module into pkg/ (wasm-bindgen
# --target web), both from one release wasm with simd128 (.cargo/config.toml),
# and the native CLI (target/release/fa-lab). With --web, only the page and
# pkg/ (scripts/test.sh: its end-to-end tests use the CLI that cargo test
# built). dist/ is assembled by scripts/site.mjs, which does what `trunk build`
# with Trunk.toml does, to the byte (scripts/check-trunk.sh), without trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A RUSTFLAGS variable would replace .cargo/config.toml's +simd128 silently.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
WASM=target/wasm32-unknown-unknown/release/fa_lab.wasm
cargo build --release --lib --target wasm32-unknown-unknown -q
node scripts/site.mjs "$WASM"
[ "${1:-}" = --web ] || cargo build --release --bin fa-lab -q
wasm-bindgen --target web --out-dir pkg --out-name fa_lab "$WASM"
