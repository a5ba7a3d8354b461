#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the database tests.
#
#   scripts/postgres.sh start DIR PORT   install Debian's postgresql if missing, initdb DIR, start on PORT,
#                                        create database "simplejwt_rs"; prints the DATABASE_URL
#   scripts/postgres.sh restart DIR      pg_ctl restart -m fast (what a database restart does to clients)
#   scripts/postgres.sh stop DIR         stop the cluster and delete DIR
#
# The server refuses to run as root, so the cluster belongs to the "postgres"
# system user that the Debian package creates. Authentication is "trust" on
# 127.0.0.1 only: the cluster holds nothing but test data and lives minutes.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?data directory}

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
        echo "installing Debian's postgresql" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$found"
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    port=${3:?port}
    bin=$(bindir)
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # Enough connections for gunicorn workers plus the concurrency tests' clients.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres simplejwt_rs
    echo "postgres://postgres@127.0.0.1:$port/simplejwt_rs"
    ;;
restart)
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    # The server's options are read back from DIR/data/postmaster.opts.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >&2
    ;;
stop)
    if [ -d "$dir/data" ]; then
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start DIR PORT | restart DIR | stop DIR" >&2
    exit 2
    ;;
esac
