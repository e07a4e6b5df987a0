#!/usr/bin/env bash
# Installs everything the tests need (Python packages, and the real servers they talk to), then runs
# the linters, the type checker and the whole test suite, one pytest-xdist worker per core (each test starts
# its own servers, ports and databases, so they run side by side).  Extra arguments go to pytest: `-n 0`
# runs the tests in this process, one after another.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/services.sh
scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest -n auto "$@"
