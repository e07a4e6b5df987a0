#!/usr/bin/env bash
# Creates .venv next to this repository and installs the gateway into it (idempotent, quick when done).
# Usage: scripts/setup.sh [extra]   (extra: "test" installs the test tools too)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
if [[ ! -x "$root/.venv/bin/python" ]]; then
  "$python" -m venv "$root/.venv"
  "$root/.venv/bin/python" -m pip install --quiet --upgrade pip
fi
spec="$root"
[[ "${1:-}" == "test" ]] && spec="$root[test]"
stamp="$root/.venv/.installed-${1:-run}"
if [[ ! -f "$stamp" || "$root/pyproject.toml" -nt "$stamp" ]]; then
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
  touch "$stamp"
fi
