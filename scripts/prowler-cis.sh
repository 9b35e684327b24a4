#!/usr/bin/env bash
# Prowler's CIS AWS Foundations 3.0 report next to stance's, on the demo account seeded in the emulator: the
# table in docs/compliance.md. Documentation, not CI: Prowler comes from PyPI into a virtualenv of its own
# (PROWLER_VENV, default .venv-prowler), and talks to the emulator through AWS_ENDPOINT_URL.
#   scripts/prowler-cis.sh > /tmp/cis-table.md
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator.sh
cargo build --locked --quiet --bin stance
start_emulator
venv="${PROWLER_VENV:-.venv-prowler}"
[[ -x "$venv/bin/prowler" ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet prowler; }
out="$(mktemp -d)"
credentials=(AWS_ACCESS_KEY_ID=STANCEDEMO AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true)
# Prowler exits non-zero when a check fails: that is its report, not an error.
env "${credentials[@]}" AWS_ENDPOINT_URL="$endpoint" HOME="$out" "$venv/bin/prowler" aws \
    --compliance cis_3.0_aws --filter-region us-east-1 eu-west-1 --output-formats csv \
    --output-directory "$out/prowler" --no-banner >"$out/prowler.log" 2>&1 || true
env "${credentials[@]}" ./target/debug/stance scan --endpoint-url "$endpoint" --region us-east-1 \
    --region eu-west-1 --out "$out/stance.json" >/dev/null 2>&1 || true
./target/debug/stance compliance "$out/stance.json" --framework cis-aws-3.0 --format json >"$out/stance-cis.json"
"$python" - "$out" <<'PY'
import csv, glob, json, sys
out = sys.argv[1]
stance = {c["id"]: c for c in json.load(open(f"{out}/stance-cis.json"))["frameworks"][0]["controls"]}
prowler = {}
for path in glob.glob(f"{out}/prowler/compliance/*cis_3.0_aws*.csv"):
    for row in csv.DictReader(open(path), delimiter=";"):
        status = row.get("STATUS", "").upper()
        prowler.setdefault(row.get("REQUIREMENTS_ID", ""), set()).add(status)
def verdict(statuses):
    if not statuses: return "no result"
    if "FAIL" in statuses: return "fail"
    if statuses <= {"PASS"}: return "pass"
    if "MANUAL" in statuses: return "manual"
    return "/".join(sorted(s.lower() for s in statuses))
def order(i): return [int(p) for p in i.split(".")]
print("| control | stance | Prowler | |\n| --- | --- | --- | --- |")
for cid in sorted(stance, key=order):
    s = stance[cid]["status"].replace("_", " ")
    p = verdict(prowler.get(cid, set()))
    same = "" if s.split(" ")[0] == p.split(" ")[0] else "differs"
    print(f"| {cid} | {s} | {p} | {same} |")
PY
