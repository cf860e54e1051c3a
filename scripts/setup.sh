#!/usr/bin/env bash
# Installs what a fresh machine lacks for FA Lab, from the package registries
# alone (see docs/toolchain.md): the wasm32 target, Debian's Chromium and
# chromedriver and wabt, the wasm-bindgen CLI at Cargo.lock's version, trunk,
# and the e2e test driver (playwright-core). Idempotent: every step checks first,
# so a machine that has everything passes through in a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
say() { echo "setup: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-objdump >/dev/null || missing+=(wabt)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  say "installing wasm-bindgen-cli $WB_VERSION (must match Cargo.lock; ~2-6 min)"
  # Not --locked: its lockfile wants a crate version the registry here lacks.
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION"
fi

if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (~6-14 min)"
  cargo install -q trunk --version "$TRUNK_VERSION" --locked
fi

if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
  say "installing playwright-core and axe-core for the browser tests"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

# Trunk runs cargo --offline: the crates must be in the local registry first.
cargo fetch -q
