#!/usr/bin/env bash
# Builds the page into dist/ (trunk) and the embeddable module into pkg/
# (wasm-bindgen --target web), both from one release wasm with simd128.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A RUSTFLAGS variable would replace .cargo/config.toml's +simd128 silently.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
trunk build
cargo build --release --bin fa-lab -q
cargo build --release --lib --target wasm32-unknown-unknown -q
wasm-bindgen --target web --out-dir pkg --out-name fa_lab target/wasm32-unknown-unknown/release/fa_lab.wasm
