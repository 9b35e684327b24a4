#!/usr/bin/env bash
# Runs every test: installs the emulator (moto, in .venv), then the Rust suite — unit tests, the
# emulator integration tests and the CLI tests. Extra arguments go to `cargo test` (e.g. a name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
STANCE_PYTHON="$(scripts/venv.sh)"
export STANCE_PYTHON
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
