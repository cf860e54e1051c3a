#!/usr/bin/env bash
# Checks that scripts/site.mjs assembles the same dist/ as `trunk build` with
# Trunk.toml, byte for byte, from one release wasm. Needs trunk, which the
# README's commands no longer install:
#   cargo install trunk --version 0.21.14 --locked --debug --no-default-features
# Run it after changing www/index.html's data-trunk links, Trunk.toml or the
# wasm-bindgen version.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
command -v trunk >/dev/null || { echo "check-trunk: trunk is not installed (see the comment at the top)" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/fa-lab-check-trunk.XXXXXX")
trap 'rm -rf "$out"' EXIT
trunk build --dist "$out/trunk"
cargo build --release --lib --target wasm32-unknown-unknown -q
node scripts/site.mjs target/wasm32-unknown-unknown/release/fa_lab.wasm "$out/site"
if diff -r "$out/trunk" "$out/site"; then
  echo "check-trunk: scripts/site.mjs and trunk $(trunk --version | cut -d' ' -f2) built the same $(find "$out/site" -type f | wc -l) files, byte for byte"
else
  echo "check-trunk: scripts/site.mjs and trunk differ (above)" >&2
  exit 1
fi
