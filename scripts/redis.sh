#!/usr/bin/env bash
# A throwaway Redis on 127.0.0.1 for the policy-cache tests (as scripts/postgres.sh is for PostgreSQL).
#
#   scripts/redis.sh start DIR PORT   install Debian's redis-server if missing, start it on PORT with DIR as
#                                     its working directory (no persistence); prints the redis:// URL
#   scripts/redis.sh stop DIR         stop the server started in DIR and delete DIR
#
# It listens on 127.0.0.1 only, keeps nothing on disk and lives as long as the tests.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?directory}

server() {
    if ! command -v redis-server >/dev/null; then
        echo "installing Debian's redis-server" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
    fi
    command -v redis-server
}

case "$cmd" in
start)
    port=${3:?port}
    bin=$(server)
    mkdir -p "$dir"
    "$bin" --bind 127.0.0.1 --port "$port" --save '' --appendonly no --protected-mode yes \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >&2
    for _ in $(seq 100); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            echo "redis://127.0.0.1:$port/0"
            exit 0
        fi
        sleep 0.05
    done
    cat "$dir/redis.log" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/redis.pid" ]; then
        pid=$(cat "$dir/redis.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rm -f "$dir/redis.pid"
    fi
    [ "${3:-}" = keep ] || rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR [keep]" >&2
    exit 2
    ;;
esac
