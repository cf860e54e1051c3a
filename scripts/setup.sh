#!/usr/bin/env bash
# Installs what a fresh machine lacks for FA Lab, from the package registries
# alone (see docs/toolchain.md): the wasm32 target, Debian's Chromium and
# chromedriver and wabt, the wasm-bindgen CLI at Cargo.lock's version, the
# e2e test driver (playwright-core, axe-core) and the crates (cargo fetch).
# No trunk: scripts/site.mjs assembles dist/ as trunk would (scripts/build.sh).
#
# Idempotent: every step checks first, so a machine that has everything passes
# through in a second or two. What is missing installs at once, side by side:
# the Debian packages and npm download while cargo compiles. Each step writes
# to its own log and says when it is done; a failed step prints its log's tail.
#
# The wasm-bindgen CLI is compiled with the cheapest profile (opt-level 0, no
# debug info): it rewrites one wasm file, so its speed hardly matters, and its
# output is the same bytes as the release build's (docs/toolchain.md, "Cheap
# tools").
#
# Usage: scripts/setup.sh [rust|page|web]. `rust` installs what the format
# gate and the native tests need (the wasm32 target, the crates); `page` what
# building the page needs besides (the wasm-bindgen CLI); `web` what the page,
# the wasm tests and the browser tests need (the wasm-bindgen CLI, Chromium,
# wabt, the npm packages); no argument, all. scripts/test.sh runs `web` in the
# background while the gate and the native tests run; scripts/serve.sh runs
# `page` while the release builds compile.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/fa-lab-setup.XXXXXX")
say() { echo "setup: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# step NAME COMMAND...: runs COMMAND in the background, logging to $LOGS/NAME.
pids=()
step() {
  local name=$1
  shift
  say "$name: started"
  (
    start=$SECONDS
    if "$@" >"$LOGS/$name" 2>&1; then
      say "$name: done ($((SECONDS - start)) s)"
    else
      rc=$?
      say "$name: FAILED (exit $rc) after $((SECONDS - start)) s; the end of its log:"
      tail -n 30 "$LOGS/$name" >&2
      exit "$rc"
    fi
  ) &
  pids+=("$!")
}

# A dev build without debug info or incremental state: the cheapest to compile.
cheap_install() {
  CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_INCREMENTAL=false \
    cargo install --debug "$@"
}

npm_install() { (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error); }

apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

part=${1:-all}
case $part in rust | page | web | all) ;; *) echo "usage: scripts/setup.sh [rust|page|web]" >&2; exit 2 ;; esac

if [ "$part" = rust ] || [ "$part" = all ]; then
  # The target first: cargo fetch resolves wasm32's dependencies too.
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # Every crate of both targets at once, before the builds that need them.
  say "cargo fetch"
  cargo fetch -q
  [ "$part" = rust ] && exit 0
fi

if [ "$part" != page ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v wasm-objdump >/dev/null || missing+=(wabt)
  if [ ${#missing[@]} -gt 0 ]; then
    step "debian (${missing[*]})" apt_install "${missing[@]}"
  fi

  if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
    step "npm (playwright-core, axe-core)" npm_install
  fi
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  # Not --locked: its lockfile wants a crate version the registry here lacks.
  # It must match Cargo.lock's wasm-bindgen exactly; it brings wasm-bindgen-test-runner.
  step "wasm-bindgen-cli $WB_VERSION" cheap_install wasm-bindgen-cli --version "$WB_VERSION"
fi

failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed=1
done
if [ "$failed" = 1 ]; then
  say "some steps failed (logs in $LOGS); run scripts/setup.sh again once the cause is fixed"
  exit 1
fi
rm -rf "$LOGS"
