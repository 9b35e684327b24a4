#!/usr/bin/env bash
# Runs every test: installs the emulator (moto, in .venv), then the Rust suite — unit tests, the
# emulator integration tests and the CLI tests. Extra arguments go to `cargo test` (e.g. a name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
STANCE_PYTHON="$(scripts/venv.sh)"
export STANCE_PYTHON
cargo test --locked "$@"
