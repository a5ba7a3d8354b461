#!/usr/bin/env bash
# The PostgreSQL half of `make test`: a throwaway cluster (scripts/postgres.sh) on a free port,
# the Django tests on it, then the concurrency tests over real HTTP (gunicorn, and uvicorn for tests/asgi, against it).
# PG_TEST_PATHS replaces the default paths (e.g. PG_TEST_PATHS=tests/asgi for one suite).
# The cluster is stopped and deleted on every exit, failures included.
#
#   scripts/pg-tests.sh PYTHON [pytest args...]
set -euo pipefail

py=${1:?python}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/simplejwt-rs-pg.XXXXXX)
port=$(PYTHONPATH="$here" "$py" -c 'from harness.server import free_port; print(free_port())')

trap '"$here/scripts/postgres.sh" stop "$dir"' EXIT
DATABASE_URL=$("$here/scripts/postgres.sh" start "$dir" "$port")
export DATABASE_URL
echo "PostgreSQL: $DATABASE_URL"
cd "$here"
# The hostile-claims property runs its full 2,000 examples per endpoint in the SQLite run; here fewer.
export SIMPLEJWT_RS_HOSTILE_EXAMPLES=${SIMPLEJWT_RS_HOSTILE_EXAMPLES:-200}
# shellcheck disable=SC2086  (a list of paths)
"$py" -m pytest -q -p no:cacheprovider ${PG_TEST_PATHS:-tests/django tests/http tests/asgi} "$@"
