#!/usr/bin/env bash
# Installs the gateway (first time only) and runs it on embedded defaults: SQLite and an embedded Redis
# under ./var of the current directory unless DATABASE_URL / REDIS_URL / PAKN_DATA_DIR say otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec "$root/.venv/bin/pakn" run "$@"
