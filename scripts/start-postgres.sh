#!/usr/bin/env bash
# A private PostgreSQL for the server tests and benchmarks, on a fresh Debian machine or a
# developer's: installs the postgresql package when missing (as root), creates a cluster in a
# data dir, starts it on 127.0.0.1 with a free port (unix socket inside the dir, trust auth for
# the local `kyso` user only), creates the `kyso` database, writes the URL to DIR/url and prints
# `export KYSO_TEST_PG_URL=…` so that this works:
#
#   eval "$(bash scripts/start-postgres.sh)"      # start (or reuse) and export the URL
#   bash scripts/start-postgres.sh --stop          # stop and delete the cluster
#
# DIR defaults to $KYSO_PG_DIR or ${TMPDIR:-/tmp}/kyso-postgres. Status messages go to stderr.
set -euo pipefail

mode=start
if [ "${1:-}" = "--stop" ]; then
  mode=stop
  shift
fi
DIR="${1:-${KYSO_PG_DIR:-${TMPDIR:-/tmp}/kyso-postgres}}"
DATA="$DIR/data"

say() { echo "start-postgres: $*" >&2; }

find_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then
    echo "$d"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

BIN=$(find_bin)
if [ -z "$BIN" ] && [ "$mode" = start ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing postgresql"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(find_bin)
  fi
  if [ -z "$BIN" ]; then
    say "PostgreSQL is not installed (no initdb); install the postgresql package"
    exit 69
  fi
fi

# postgres refuses to run as root: run its tools as the postgres system user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$mode" = stop ]; then
  if [ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  say "stopped and removed $DIR"
  exit 0
fi

if [ -f "$DIR/url" ] && [ -f "$DATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  say "already running"
  echo "export KYSO_TEST_PG_URL=$(cat "$DIR/url")"
  exit 0
fi

rm -rf "$DIR"
mkdir -p "$DIR"
chmod 700 "$DIR"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DIR"; fi

as_pg "$BIN/initdb" -D "$DATA" -U kyso -A trust -E UTF8 --locale=C >/dev/null

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

started=
for _ in 1 2 3; do
  PORT=$(free_port)
  if as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=300" start >/dev/null; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  say "could not start PostgreSQL; log: $DIR/server.log"
  tail -n 20 "$DIR/server.log" >&2 || true
  exit 69
fi

"$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U kyso -d postgres -c "CREATE DATABASE kyso" >&2
URL="postgres://kyso@127.0.0.1:$PORT/kyso"
echo "$URL" >"$DIR/url"
say "running on 127.0.0.1:$PORT, data in $DATA"
echo "export KYSO_TEST_PG_URL=$URL"
