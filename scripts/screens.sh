#!/usr/bin/env bash
# Pictures of the TUI for the README: scans the demo account twice (before and after `demo_account.py
# change`), opens each view in tmux at 100×30 and saves the screen as text in assets/screens/.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(scripts/venv.sh)"
cargo build --locked --quiet --bin stance
work="$(mktemp -d)"
trap 'tmux kill-session -t stance-screens 2>/dev/null || true; exec 3>&- 2>/dev/null || true; kill "${emulator:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

mkfifo "$work/stdin"
"$python" mocks/demo_account.py serve <"$work/stdin" >"$work/ready" 2>"$work/log" &
emulator=$!
exec 3>"$work/stdin"
for _ in $(seq 1 120); do grep -q '^READY ' "$work/ready" 2>/dev/null && break; sleep 0.5; done
endpoint="$(sed -n 's/^READY //p' "$work/ready")"
scan() {
    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true STANCE_REDACTION_KEY=screens \
        ./target/debug/stance scan --endpoint-url "$endpoint" --region us-east-1 --region eu-west-1 --max-attempts 1 --out "$1" 2>/dev/null || true
}
scan "$work/before.json"
"$python" mocks/demo_account.py change "$endpoint" fix-bob-mfa open-orders-url 2>/dev/null
scan "$work/after.json"

mkdir -p assets/screens
shoot() { # name, command, keys...
    local name="$1" command="$2"
    shift 2
    tmux new-session -d -s stance-screens -x 100 -y 30 "NO_COLOR=1 $command"
    sleep 1
    for key in "$@"; do tmux send-keys -t stance-screens "$key"; sleep 0.3; done
    tmux capture-pane -p -t stance-screens >"assets/screens/$name.txt"
    tmux kill-session -t stance-screens
}
open="./target/debug/stance open $work/after.json"
shoot overview "$open"
shoot findings "$open" Enter
shoot detail "$open" Enter Enter
shoot paths "$open" : p a t h s Enter
shoot resources "$open" : r e s o u r c e s Enter
shoot search "$open" / p a y m e n t s
shoot help "$open" Enter '?'
shoot compare "./target/debug/stance open $work/before.json $work/after.json"
echo "wrote $(ls assets/screens | wc -l) screens to assets/screens/" >&2
