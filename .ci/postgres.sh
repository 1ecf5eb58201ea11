#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the PostgreSQL tests, and print its URL.
#
#   url=$(bash .ci/postgres.sh)        # -> postgresql://listguard@127.0.0.1:PORT/listguard
#   LISTGUARD_TEST_POSTGRES_URL=$url python -m pytest tests/test_store_postgres.py
#
# Installs Debian's PostgreSQL if it is missing, initialises a new cluster in a fresh temporary
# folder owned by a non-root user (PostgreSQL refuses to run as root), starts it on a free port
# listening on loopback only, with durability switched off (a test cluster is thrown away), and
# creates an empty database. Only the URL goes to stdout; the data folder and the command that
# stops the cluster go to stderr.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

BIN=$(find_bin || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed and we are not root to apt-get it" >&2
    exit 1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN=$(find_bin)
fi

# PostgreSQL will not run as root: use the 'postgres' system user the package creates.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/listguard-pg.XXXXXX")
chmod 755 "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"

PORT=$(python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
)

as_pg "$BIN/initdb" -D "$DIR/data" -U listguard --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >&2 || { cat "$DIR/server.log" >&2; exit 1; }
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U listguard listguard

echo "postgres.sh: cluster in $DIR; stop with: runuser -u postgres -- $BIN/pg_ctl -D $DIR/data stop" >&2
echo "postgresql://listguard@127.0.0.1:$PORT/listguard"
