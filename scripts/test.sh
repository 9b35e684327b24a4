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
# --no-fail-fast: every test binary runs, so one failure does not hide the others.
cargo test --locked --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over every test binary; a binary that crashed (a stack
# overflow, a signal) prints no result line, so the exit status is reported too.
awk -v status="$status" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed%s\n", p, f, (status != 0 && f == 0) ? " (a test binary did not finish: see above)" : "" }' "$log"
exit "$status"
