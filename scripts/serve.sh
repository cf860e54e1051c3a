#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and serves the
# lab on http://127.0.0.1:8080 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
scripts/build.sh
echo "FA Lab: serving on http://127.0.0.1:8080" >&2
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
# No auto-reload: its injected inline script would break the page's Content-Security-Policy.
exec trunk serve --no-autoreload
