#!/usr/bin/env bash
# The speed benchmark, browser and native in one go: builds if needed
# (scripts/build.sh), serves dist/ on 127.0.0.1, times an FA epoch of the paper
# net in headless Chromium (www/bench.js via tests/e2e/bench.mjs), measures the
# page's peak memory during one paper-preset fig6 run, then runs
# the numpy yardstick (scripts/numpy_step.py) in interleaved rounds and prints
# epoch times, GFLOP/s and the browser/numpy and native/numpy ratios.
# Arguments go to tests/e2e/bench.mjs (e.g. --epochs 7, --no-extras,
# --mem-seconds 60, --no-memory).
#
# numpy: a local virtual environment, target/numpy-venv, made here on first use
# (python3 -m venv, pip install numpy from PyPI); when it cannot be made, the
# benchmark says so and prints no numpy ratio. The numpy command alone runs
# with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS then picks its
# kernel for this CPU) and one thread.
# Rebuilds when dist/ or the CLI is missing or older than a source file
# (BENCH_REBUILD=1 forces it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
stale() {
  [ ! -f dist/fa-lab_bg.wasm ] || [ ! -f dist/bench.js ] || [ ! -x target/release/fa-lab ] ||
    [ -n "$(find src www Cargo.toml Cargo.lock -newer dist/fa-lab_bg.wasm -print -quit)" ] ||
    [ -n "$(find src Cargo.toml Cargo.lock -newer target/release/fa-lab -print -quit)" ]
}
if [ "${BENCH_REBUILD:-0}" = 1 ] || stale; then
  scripts/setup.sh
  scripts/build.sh
fi
NUMPY_VENV=target/numpy-venv
if ! "$NUMPY_VENV/bin/python" -c 'import numpy' 2>/dev/null; then
  echo "bench: making $NUMPY_VENV (python3 -m venv, pip install numpy) for the numpy yardstick" >&2
  if ! { python3 -m venv "$NUMPY_VENV" && "$NUMPY_VENV/bin/pip" install --quiet numpy; } >&2; then
    echo "bench: numpy could not be installed in $NUMPY_VENV: the numpy yardstick will be missing" >&2
  fi
fi
if "$NUMPY_VENV/bin/python" -c 'import numpy' 2>/dev/null; then
  export FA_LAB_NUMPY_PYTHON="$PWD/$NUMPY_VENV/bin/python"
fi
exec node tests/e2e/bench.mjs "$@"
