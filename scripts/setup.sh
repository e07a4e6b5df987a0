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
# Browser libraries the gateway serves itself (Leaflet for /admin/map): package-lock.json, into node_modules/.
# Without npm the gateway still runs; the map page then says how to install them.
if [[ -f "$root/package-lock.json" ]]; then
  npm_stamp="$root/node_modules/.installed"
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm not found: the live map (/admin/map) needs Leaflet; install Node.js and npm, then run this again" >&2
  elif [[ ! -f "$npm_stamp" || "$root/package-lock.json" -nt "$npm_stamp" ]]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$npm_stamp"
  fi
fi
