#!/usr/bin/env bash
# Installs the gateway (first time only) and runs it on embedded defaults: SQLite and an embedded Redis
# under ./var of the current directory unless DATABASE_URL / REDIS_URL / PAKN_DATA_DIR say otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
echo "PAKN Gateway: data in ${PAKN_DATA_DIR:-$PWD/var}; other commands: $root/.venv/bin/pakn --help" \
  "(run them from $PWD, or with the same PAKN_DATA_DIR)" >&2
exec "$root/.venv/bin/pakn" run "$@"
