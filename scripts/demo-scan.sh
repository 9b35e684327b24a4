#!/usr/bin/env bash
# The main job on the bundled demo account: starts the AWS emulator seeded with the demo account
# (mocks/demo_account.py), runs `stance scan` against it and writes demo-snapshot.json.
# Extra arguments go to `stance scan`.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(scripts/venv.sh)"
cargo build --locked --quiet --bin stance

fifo="$(mktemp -u)"
mkfifo "$fifo"
# The emulator serves until its stdin closes: keep a writer open on the fifo, close it on exit.
# Its log (including moto's tracebacks for operations it does not implement) goes to a file.
"$python" mocks/demo_account.py serve <"$fifo" >"$fifo.out" 2>"$fifo.log" &
emulator=$!
exec 3>"$fifo"
trap 'exec 3>&-; kill $emulator 2>/dev/null || true; rm -f "$fifo" "$fifo.out" "$fifo.log"' EXIT
for _ in $(seq 1 120); do
    grep -q '^READY ' "$fifo.out" 2>/dev/null && break
    kill -0 $emulator 2>/dev/null || { cat "$fifo.log" >&2; echo "the emulator failed to start" >&2; exit 1; }
    sleep 0.5
done
endpoint="$(sed -n 's/^READY //p' "$fifo.out")"
[[ -n "$endpoint" ]] || { echo "the emulator did not become ready" >&2; exit 1; }

# Emulator credentials: the demo never touches a real AWS account.
status=0
AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true \
    ./target/debug/stance scan --endpoint-url "$endpoint" --region us-east-1 --region eu-west-1 \
    --max-attempts 2 --out demo-snapshot.json "$@" || status=$?
# 3 means "finished with coverage gaps": moto does not implement every operation stance calls.
if [[ $status -eq 0 || $status -eq 3 ]]; then
    echo "demo-snapshot.json holds the demo account's posture snapshot (exit status $status); try ./target/debug/stance export demo-snapshot.json --format markdown." >&2
    exit 0
fi
exit $status
