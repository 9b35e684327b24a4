#!/usr/bin/env bash
# Re-records the cassettes `stance demo` replays (demo/*.cassette.json) from a freshly seeded emulator:
# the demo account as seeded, then "a month later" (mocks/demo_account.py change …, evaluated 30 days on).
# Run it after changing the seed (mocks/), the collectors' requests, or the SDK; commit demo/.
# The cassette tests (tests/demo.rs) fail until it has been run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator.sh
cargo build --locked --quiet --bin stance
start_emulator

record() { # FILE [scan arguments]
    local file="$1"
    shift
    local status=0
    # One attempt per call: the replay answers each request once, as recorded.
    env -i PATH="$PATH" HOME="$(mktemp -d)" AWS_ACCESS_KEY_ID=STANCEDEMO AWS_SECRET_ACCESS_KEY=demo \
        AWS_EC2_METADATA_DISABLED=true ./target/debug/stance scan --endpoint-url "$endpoint" \
        --region us-east-1 --region eu-west-1 --max-attempts 1 --record "$file" "$@" \
        >/dev/null 2>&1 || status=$?
    # 3: moto does not implement every operation stance calls (recorded as it answered).
    [[ $status -eq 0 || $status -eq 3 ]] || { echo "recording $file failed (exit $status)" >&2; exit 1; }
}

record demo/account.cassette.json
"$python" mocks/demo_account.py change "$endpoint" fix-bob-mfa lock-down-payments open-orders-url remove-root-alarm stop-audit-trail subscribe-billing-to-orders
record demo/month-later.cassette.json --as-of "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
# The demo organization, from an emulator of its own (one member role refused), evaluated as recorded.
exec 3>&-
kill $emulator 2>/dev/null || true
start_emulator --account org --deny-assume 210000000003
status=0
scratch="$(mktemp -d)"
env -i PATH="$PATH" HOME="$scratch" AWS_ACCESS_KEY_ID=STANCEDEMO AWS_SECRET_ACCESS_KEY=demo \
    AWS_EC2_METADATA_DISABLED=true ./target/debug/stance scan --org --endpoint-url "$endpoint" \
    --region us-east-1 --max-attempts 1 --record demo/org.cassette.json.zst --out-dir "$scratch/org" \
    >/dev/null 2>&1 || status=$?
# 3: the refused member role (and moto's unimplemented calls) are gaps, as recorded.
rm -rf "$scratch"
[[ $status -eq 3 ]] || { echo "recording demo/org.cassette.json.zst failed (exit $status)" >&2; exit 1; }
# What the recording was made from; tests/demo.rs compares it with the files as they are now.
sha256sum mocks/demo_account.py mocks/demo_org.py mocks/requirements.txt >demo/recorded-from.sha256
ls -l demo/
