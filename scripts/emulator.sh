# Sourced by the scripts that need the AWS emulator: `start_emulator [serve arguments]` starts
# mocks/demo_account.py (moto, seeded), waits until it is ready and sets $endpoint; it stops on exit.
# Its log (including moto's tracebacks for operations it does not implement) goes to a temporary file.

start_emulator() {
    python="$(scripts/venv.sh)"
    fifo="$(mktemp -u)"
    mkfifo "$fifo"
    # The emulator serves until its stdin closes: keep a writer open on the fifo, close it on exit.
    "$python" mocks/demo_account.py serve "$@" <"$fifo" >"$fifo.out" 2>"$fifo.log" &
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
}
