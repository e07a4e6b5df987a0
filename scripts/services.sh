#!/usr/bin/env bash
# Makes sure the real servers the tests talk to are installed and running on this machine:
# Redis (127.0.0.1:6379, plus the redis-server binary for tests that start their own) and
# PostgreSQL (127.0.0.1:5432, trust auth, database "test").  Installs from Debian's packages if missing.
set -euo pipefail

apt_updated=0
need() {  # need PACKAGE...: apt-get install what is not installed yet
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  if ((apt_updated == 0)); then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.5
  done
}

# --- Redis ---
command -v redis-server >/dev/null || need redis-server
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 20 redis-cli -h 127.0.0.1 -p 6379 ping
fi

# --- PostgreSQL ---
command -v pg_ctlcluster >/dev/null || need postgresql
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "pakn-test trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # pakn-test trust\nhost all all ::1/128 trust # pakn-test trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for 30 pg_isready -h 127.0.0.1 -p 5432 -q
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "create database test"

# --- Dovecot (IMAP server for the email channel's tests; each test fixture starts its own instance) ---
command -v dovecot >/dev/null || need dovecot-imapd

# --- Chromium (the hotline console's browser tests: Playwright drives Debian's build, never downloads one) ---
need chromium

# --- npm (scripts/setup.sh installs Leaflet with it for the live map and its browser test) ---
command -v npm >/dev/null || need npm
