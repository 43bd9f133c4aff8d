#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL suites (test/**/postgres-*): installed from Debian when
# missing, created in a temporary directory owned by a non-root user, listening on 127.0.0.1 only with trust
# authentication, and removed afterwards. The suites read its URL from TEST_DATABASE_URL.
#
# Sourced by .ci/run:  source .ci/postgres.sh; postgres_start || fail; trap postgres_stop EXIT
# Run by hand:         bash .ci/postgres.sh npx jest test/event-store/postgres-event-store.int-spec.ts
#                      (starts the cluster, runs the command with TEST_DATABASE_URL set, stops the cluster)
#
# LEDGER_PG_PORT picks the first port tried (55432; the next nine are tried when it is taken).
#
# Besides TEST_DATABASE_URL, postgres_start exports what a test needs to run a cluster of its own, one it may
# restart mid-load without breaking the suites that share this one (test/crash/postgres-scale-out.int-spec.ts):
# TEST_POSTGRES_BIN (the directory of initdb and pg_ctl) and, when run as root, TEST_POSTGRES_OWNER (the user
# those must run as, since PostgreSQL refuses to run as root).

# The directory holding initdb, pg_ctl and psql: where initdb on PATH really lives (Debian links only some
# binaries into PATH), else the newest /usr/lib/postgresql/<version>/bin.
postgres_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ] && echo "$found"
}

# Installs Debian's postgresql when initdb or pg_ctl is missing. The package's own cluster on port 5432 is not
# wanted: createcluster.d tells the package not to create it.
postgres_install() {
  [ -n "$(postgres_bin_dir)" ] && return 0
  echo "PostgreSQL: initdb/pg_ctl not found, installing Debian's postgresql"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL: cannot install (needs root and apt-get)"
    return 1
  fi
  mkdir -p /etc/postgresql-common/createcluster.d &&
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/ledger-ci.conf
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null &&
    [ -n "$(postgres_bin_dir)" ]
}

# Runs a command as the cluster's owner: the current user, or when root the `postgres` system user (created by
# the package) or else a system user of our own, since PostgreSQL refuses to run as root.
postgres_as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  else
    # From a directory the owner can enter: the caller's may be closed to it (/root).
    (cd "$LEDGER_PG_DIR" && runuser -u "$LEDGER_PG_OWNER" -- "$@")
  fi
}

# Creates and starts the cluster, creates the database `ledger_test` and exports TEST_DATABASE_URL.
postgres_start() {
  postgres_install || return 1
  local bin
  bin=$(postgres_bin_dir)
  if [ "$(id -u)" -eq 0 ]; then
    LEDGER_PG_OWNER=postgres
    if ! id -u "$LEDGER_PG_OWNER" >/dev/null 2>&1; then
      LEDGER_PG_OWNER=ledger-ci
      id -u "$LEDGER_PG_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home "$LEDGER_PG_OWNER" || return 1
    fi
  fi
  LEDGER_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ledger-postgres.XXXXXX") || return 1
  [ "$(id -u)" -eq 0 ] && chown "$LEDGER_PG_OWNER" "$LEDGER_PG_DIR"
  chmod 700 "$LEDGER_PG_DIR"
  # C collation: strings in read-model sorts order byte-wise, as on SQLite and MongoDB (docs/postgresql.md).
  if ! postgres_as_owner "$bin/initdb" -D "$LEDGER_PG_DIR/data" -U ledger --auth=trust --encoding=UTF8 \
    --locale=C --no-sync >"$LEDGER_PG_DIR/initdb.log" 2>&1; then
    echo "PostgreSQL: initdb failed:"
    cat "$LEDGER_PG_DIR/initdb.log"
    return 1
  fi
  local port started=''
  for port in $(seq "${LEDGER_PG_PORT:-55432}" $((${LEDGER_PG_PORT:-55432} + 9))); do
    # Sockets in the cluster's own directory: no system directory (/var/run/postgresql) is needed.
    if postgres_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" -l "$LEDGER_PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $LEDGER_PG_DIR" start >/dev/null; then
      started=$port
      break
    fi
  done
  if [ -z "$started" ]; then
    echo "PostgreSQL: the cluster did not start:"
    cat "$LEDGER_PG_DIR/server.log"
    return 1
  fi
  if ! "$bin/psql" -q -h 127.0.0.1 -p "$started" -U ledger -d postgres -c 'CREATE DATABASE ledger_test'; then
    echo "PostgreSQL: could not create the test database"
    return 1
  fi
  export TEST_DATABASE_URL="postgres://ledger@127.0.0.1:$started/ledger_test"
  export TEST_POSTGRES_BIN="$bin"
  if [ "$(id -u)" -eq 0 ]; then export TEST_POSTGRES_OWNER="$LEDGER_PG_OWNER"; else unset TEST_POSTGRES_OWNER; fi
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$started ($LEDGER_PG_DIR), TEST_DATABASE_URL=$TEST_DATABASE_URL"
}

# Stops the cluster and removes its directory; safe to call twice or after a failed start.
postgres_stop() {
  [ -n "${LEDGER_PG_DIR:-}" ] || return 0
  if [ -f "$LEDGER_PG_DIR/data/postmaster.pid" ]; then
    postgres_as_owner "$(postgres_bin_dir)/pg_ctl" -D "$LEDGER_PG_DIR/data" -m fast -w stop >/dev/null ||
      echo "PostgreSQL: pg_ctl stop failed"
  fi
  rm -rf "$LEDGER_PG_DIR"
  unset LEDGER_PG_DIR TEST_DATABASE_URL TEST_POSTGRES_BIN TEST_POSTGRES_OWNER
}

# Executed rather than sourced: run the given command against a fresh cluster.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  if [ $# -eq 0 ]; then
    echo "usage: bash .ci/postgres.sh <command> [args...]   (runs the command with TEST_DATABASE_URL set)"
    exit 2
  fi
  trap postgres_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ! postgres_start; then
    echo "PostgreSQL could not be installed or started"
    exit 1
  fi
  "$@"
fi
