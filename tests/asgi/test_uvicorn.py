"""The async paths under a real ASGI server: tests/asgi/project (django-ninja + adrf on simplejwt_rs) under uvicorn.

- 16 clients present one refresh token to the ninja token router at once, 50 trials (HTTP_TRIALS): exactly one
  200 in each, and the race is shown to have happened (other requests in flight while the winner's was);
- a replayed refresh token revokes its family;
- a user deactivated by a sync operation and by an async one is refused on the next request by every
  row-reading class, sync and async (ninja's JWTAuth, AsyncJWTAuth, adrf's async view), and by the TokenUser
  classes when POLICY_CACHE is on (a Redis from scripts/redis.sh).

SQLite unless DATABASE_URL names a PostgreSQL cluster (scripts/pg-tests.sh starts one: `make test-pg`).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from harness import database as harness_database
from harness import race
from harness.server import uvicorn
from harness.services import running

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.asgi.project.asgi:application"
PASSWORD = "correct horse battery staple"
CLIENTS = 16
TRIALS = int(os.environ.get("HTTP_TRIALS", "50"))
PG = os.environ.get("DATABASE_URL")


def _pg_sql(*statements: str) -> None:
    harness_database.execute(PG, *statements)


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "DJANGO_SETTINGS_MODULE": "tests.asgi.project.settings", **extra}


def _django(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


USERS = ["alice", *(f"user{i}" for i in range(4))]
SEED = f"""
from django.contrib.auth.models import User
for name in {USERS!r}:
    User.objects.create_user(name, password={PASSWORD!r})
"""


@pytest.fixture(scope="module")
def database():
    """A migrated database with the users: SQLite in a temporary directory, or a PostgreSQL database."""
    tmp = tempfile.mkdtemp(prefix="simplejwt-rs-asgi.")
    if PG:
        name = f"asgi_{os.getpid()}"
        _pg_sql(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        env = _env(ASGI_DATABASE_URL=harness_database.on_cluster(PG, name))
    else:
        env = _env(ASGI_DB=str(Path(tmp) / "asgi.sqlite3"))
    try:
        _django(env, "migrate", "--no-input", "-v", "0")
        _django(env, "shell", "-v", "0", "-c", SEED)
        yield env
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if PG:
            _pg_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def call(port: int, method: str, path: str, body: dict | None = None, access: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if access:
        headers["Authorization"] = f"Bearer {access}"
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def pair(port: int, username: str = "alice") -> dict:
    status, body = call(port, "POST", "/ninja/token/pair", {"username": username, "password": PASSWORD})
    assert status == 200, body
    return body


def serve(env: dict[str, str]):
    def ready(port: int) -> bool:
        return call(port, "GET", "/ninja/openapi.json")[0] == 200

    options = ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    return uvicorn(APP, cwd=ROOT, env=env, options=options, ready=ready)


@pytest.fixture(scope="module")
def server(database):
    with serve(database) as running:
        yield running.port
    assert "Traceback" not in running.output, running.output[-4000:]


def stampede(port: int, token: str) -> tuple[race.Stampede, int]:
    """CLIENTS clients released together, each POSTing ``token`` to the ninja refresh; the answers, and how many
    other requests were sent before the first 200 came back (the race, seen from the clients)."""
    answers = race.stampede(port, "/ninja/token/refresh", json.dumps({"refresh": token}), clients=CLIENTS)
    return answers, answers.overlapping_the_winner()


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[asgi {'postgresql' if PG else 'sqlite'}] {line}", flush=True)


def test_sixteen_concurrent_refreshes_one_winner(server, capsys):
    started = time.monotonic()
    tokens = [pair(server)["refresh"] for _ in range(TRIALS)]
    codes: Counter[str] = Counter()
    overlaps = []
    for token in tokens:
        answers, overlap = stampede(server, token)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] + [401] * (CLIENTS - 1), answers
        codes.update(body.get("code", "?") for status, body in answers if status != 200)
        overlaps.append(overlap)
        winner = next(body for status, body in answers if status == 200)
        # The losers presented a consumed token: the family is revoked, the winner's successor with it.
        status, body = call(server, "POST", "/ninja/token/refresh", {"refresh": winner["refresh"]})
        assert status == 401 and body["code"] == "token_family_revoked", body
    raced = sum(1 for overlap in overlaps if overlap > 0)
    report(
        capsys,
        f"{TRIALS} trials x {CLIENTS} clients: one 200 in every trial; refusals {dict(codes)}; "
        f"trials with other requests in flight during the winner's: {raced}; {time.monotonic() - started:.1f}s",
    )
    assert raced >= TRIALS // 2, overlaps  # the requests did overlap: the lock, not the timing, picked one
    assert set(codes) <= {"token_reused", "token_family_revoked"}, codes


def test_a_replay_revokes_the_family(server):
    first = pair(server)["refresh"]
    status, rotated = call(server, "POST", "/ninja/token/refresh", {"refresh": first})
    assert status == 200
    status, body = call(server, "POST", "/ninja/token/refresh", {"refresh": first})
    assert status == 401 and body["code"] == "token_reused"
    status, body = call(server, "POST", "/ninja/token/refresh", {"refresh": rotated["refresh"]})
    assert status == 401 and body["code"] == "token_family_revoked"


ROW_READERS = ["/ninja/me/sync", "/ninja/me/async", "/adrf/me/"]
TOKEN_USERS = ["/ninja/me/stateless/sync", "/ninja/me/stateless/async", "/adrf/me/stateless/"]


def _deactivation(port: int, username: str, how: str, token_users_refused: bool) -> None:
    tokens = pair(port, username)
    access = tokens["access"]
    for path in ROW_READERS + TOKEN_USERS:
        status, body = call(port, "GET", path, access=access)
        assert status == 200, (path, body)
    assert call(port, "POST", f"/ninja/deactivate/{how}", {}, access=access)[0] == 200
    refused = ROW_READERS + (TOKEN_USERS if token_users_refused else [])
    for path in refused:
        status, body = call(port, "GET", path, access=access)
        assert status == 401 and body["code"] == "user_inactive", (how, path, body)
    status, body = call(port, "POST", "/ninja/token/refresh", {"refresh": tokens["refresh"]})
    assert status == 401 and body["code"] == "no_active_account", body


@pytest.mark.parametrize(("username", "how"), [("user0", "sync"), ("user1", "async")])
def test_a_deactivation_is_refused_on_the_next_request(server, username, how):
    _deactivation(server, username, how, token_users_refused=False)


@pytest.fixture(scope="module")
def redis_url():
    if shutil.which("redis-server") is None and shutil.which("apt-get") is None:
        pytest.fail("needs redis-server (Debian's redis-server package; scripts/redis.sh installs it)")
    with running("redis.sh") as redis:
        yield redis.url


@pytest.mark.parametrize(("username", "how"), [("user2", "sync"), ("user3", "async")])
def test_with_policy_cache_token_users_are_refused_too(database, redis_url, username, how):
    with serve({**database, "ASGI_POLICY_CACHE": redis_url}) as running:
        _deactivation(running.port, username, how, token_users_refused=True)
    assert "Traceback" not in running.output, running.output[-4000:]


def call_counting(port: int, path: str, access: str) -> tuple[int, dict, int]:
    """GET ``path``: (status, body, the sync_to_async hops simplejwt_rs made: tests/asgi/project/hops.py)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {access}"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}"), int(response.getheader("X-Simplejwt-Rs-Hops"))
    finally:
        conn.close()


def test_with_near_cache_users_async_row_readers_make_no_hop(database, redis_url):
    """POLICY_NEAR_CACHE_USERS: ninja's AsyncJWTAuth (request.auth is the row) answers a warm request without a
    hop, counted in the uvicorn process; a deactivation is still refused by the next request of every class."""
    env = {
        **database,
        "ASGI_POLICY_CACHE": redis_url,
        "DJANGO_SETTINGS_MODULE": "tests.asgi.project.settings_near_rows",
    }
    _django(env, "shell", "-v", "0", "-c", SEED.replace(repr(USERS), repr(["rows0"])))

    def ready(port: int) -> bool:
        return call(port, "GET", "/ninja/openapi.json")[0] == 200

    options = ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    with uvicorn("tests.asgi.project.hops:application", cwd=ROOT, env=env, options=options, ready=ready) as running:
        port = running.port
        access = pair(port, "rows0")["access"]
        counted = [call_counting(port, "/ninja/me/async", access) for _ in range(6)]
        assert all(status == 200 and body["user"] == "User" for status, body, _hops in counted), counted
        assert counted[0][2] == 1  # cold: the sync check, one hop (the count does count)
        assert [hops for _status, _body, hops in counted[-3:]] == [0, 0, 0], counted
        # adrf's async view with our JWTAuthentication (issue 22 item 4): the same warm path, no hop of ours.
        adrf = [call_counting(port, "/adrf/me/", access) for _ in range(3)]
        assert all(status == 200 and body == {"username": "rows0"} for status, body, _hops in adrf), adrf
        assert [hops for _status, _body, hops in adrf] == [0, 0, 0], adrf
        _deactivation(port, "rows0", "async", token_users_refused=True)
    assert "Traceback" not in running.output, running.output[-4000:]
