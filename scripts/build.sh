#!/usr/bin/env bash
# Builds the page into dist/ (trunk) and the embeddable module into pkg/
# (wasm-bindgen --target web), both from one release wasm with simd128, and
# the native CLI (target/release/fa-lab). With --web, only the page and pkg/
# (scripts/test.sh: its end-to-end tests use the CLI that cargo test built).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A RUSTFLAGS variable would replace .cargo/config.toml's +simd128 silently.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
trunk build
[ "${1:-}" = --web ] || cargo build --release --bin fa-lab -q
cargo build --release --lib --target wasm32-unknown-unknown -q
wasm-bindgen --target web --out-dir pkg --out-name fa_lab target/wasm32-unknown-unknown/release/fa_lab.wasm
