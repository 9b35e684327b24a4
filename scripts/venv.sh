#!/usr/bin/env bash
# Makes .venv with the AWS emulator (moto) and prints its python. Idempotent and quick when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv >&2
fi
stamp=.venv/.requirements
if ! cmp -s mocks/requirements.txt "$stamp" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r mocks/requirements.txt >&2
    cp mocks/requirements.txt "$stamp"
fi
echo "$PWD/.venv/bin/python"
