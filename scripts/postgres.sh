#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the PostgreSQL test pass, installing the
# server from Debian packages when it is missing. Prints the SQLAlchemy URL on stdout.
#   scripts/postgres.sh start [DIR] [PORT]   |   scripts/postgres.sh stop [DIR]
set -euo pipefail
DIR="${2:-${SA_PG_DIR:-/tmp/sa-postgres}}"
PORT="${3:-${SA_PG_PORT:-54329}}"
# The database created on start, and fsync: off for throwaway test clusters (the default), on for
# the production topology on this machine (infra/prodstack.py sets SA_PG_DB and SA_PG_FSYNC=on).
DB="${SA_PG_DB:-social_assistance_test}"
FSYNC="${SA_PG_FSYNC:-off}"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "[postgres] server not installed; installing from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -q && apt-get install -y -q postgresql) >&2 \
    || { echo "[postgres] ERROR: apt-get install postgresql failed; install it by hand (apt-get install -y postgresql)" >&2; exit 1; }
  BIN="$(find_bin)"
fi

# PostgreSQL refuses to run as root: run it as the 'postgres' user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
  start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres "$DIR"
      as_pg "$BIN/initdb" -D "$DIR" -U sa --auth=trust -E UTF8 --locale=C.UTF-8 >&2
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=$FSYNC" start >&2
    fi
    as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U sa -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
      || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U sa "$DB"
    echo "postgresql+asyncpg://sa@127.0.0.1:$PORT/$DB"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true
    ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
