#!/usr/bin/env bash
# Lints the GitHub workflows: with actionlint where it is installed, otherwise by validating them
# against the published workflow schema (check-jsonschema, which ships that schema, so the check
# needs no network beyond PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
workflows=(.github/workflows/*.yml)
if command -v actionlint >/dev/null; then
  actionlint "${workflows[@]}"
  echo "workflows: actionlint clean (${#workflows[@]} files)"
  exit 0
fi
venv=target/tools/venv
if [[ ! -x $venv/bin/check-jsonschema ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q check-jsonschema
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "workflows: valid against the workflow schema (${#workflows[@]} files)"
