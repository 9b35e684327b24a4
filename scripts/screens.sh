#!/usr/bin/env bash
# Pictures of the TUI for the README: the demo account as recorded and a month later (`stance demo`),
# each view opened in tmux at 100×30 and saved as text in assets/screens/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet --bin stance
work="$(mktemp -d)"
trap 'tmux kill-session -t stance-screens 2>/dev/null || true; rm -rf "$work"' EXIT
# Exit 3: the recording's coverage gaps (calls the emulator does not implement), as `stance scan` reports them.
./target/debug/stance demo --out "$work/before.json" 2>/dev/null || [[ $? -eq 3 ]]
./target/debug/stance demo --month-later --out "$work/after.json" 2>/dev/null || [[ $? -eq 3 ]]

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
open="./target/debug/stance open $work/before.json"
shoot overview "$open"
shoot findings "$open" : f i n d i n g s Enter
shoot detail "$open" Enter
shoot event-path "$open" : p a t h s Enter j j j j j Enter j j j j j j j j j j j j
shoot paths "$open" : p a t h s Enter
shoot resources "$open" : r e s o u r c e s Enter
shoot search "$open" / p a y m e n t s
shoot help "$open" : f i n d i n g s Enter '?'
shoot compliance "$open" : c o m p l i a n c e Enter Enter G
shoot compare "./target/debug/stance open $work/before.json $work/after.json"
# The demo organization: its accounts, then the sandbox's attack paths, one into prod.
./target/debug/stance demo --org --out "$work/org" 2>/dev/null || [[ $? -eq 3 ]]
shoot accounts "./target/debug/stance open $work/org"
shoot org-paths "./target/debug/stance open $work/org" Enter : p a t h s Enter
echo "wrote $(ls assets/screens | wc -l) screens to assets/screens/" >&2
