"""Sixteen clients, one refresh token, real HTTP: the demo project under gunicorn on PostgreSQL.

Each trial: alice obtains a pair; 16 threads each open a connection to
gunicorn (4 workers x 4 threads, so all 16 requests are handled at once),
wait on a barrier, and present the same refresh token.  Ours must answer
exactly one 200 in every trial.  The same trials against the demo on stock
djangorestframework-simplejwt (DEMO_STOCK=1) are the control; the README
quotes their figures.

A race test that did not race would pass for the wrong reason (requests
served one after another need no lock to have one winner), so each test
shows that the race happened: in every trial of ours, other clients' requests
were in flight while the winner's was (sent before its answer came back),
and both kinds of refusal occur across the trials; and the stock control,
on the same server and harness, has at least one trial with more than one
200.

Run by scripts/pg-tests.sh (`make test-pg`, part of `make test`) with DATABASE_URL set.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness import database, race
from harness.server import gunicorn

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
PASSWORD = "correct horse battery staple"
CLIENTS = 16
TRIALS = int(os.environ.get("HTTP_TRIALS", "50"))
GRACE = 2  # seconds, for the grace-period run


def database_url(name: str) -> str:
    return database.on_cluster(os.environ["DATABASE_URL"], name)


def admin_sql(*statements: str) -> None:
    database.execute(os.environ["DATABASE_URL"], *statements)


@pytest.fixture(scope="module")
def template_db():
    """A migrated demo database with alice, copied (CREATE DATABASE ... TEMPLATE) for every server."""
    name = f"demo_template_{os.getpid()}"
    admin_sql(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    env = {**os.environ, "DEMO_DATABASE_URL": database_url(name), "DJANGO_SETTINGS_MODULE": "demo.settings"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=DEMO, env=env, check=True)
    seed = f"from django.contrib.auth.models import User; User.objects.create_user('alice', password={PASSWORD!r})"
    subprocess.run([*manage, "shell", "-v", "0", "-c", seed], cwd=DEMO, env=env, check=True)
    yield name
    admin_sql(f"DROP DATABASE IF EXISTS {name}")


@contextmanager
def demo_server(template: str, variant: str, **env_changes: str):
    name = f"demo_{variant}_{os.getpid()}"
    admin_sql(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}")
    env = {
        **os.environ,
        **env_changes,
        "DEMO_DATABASE_URL": database_url(name),
        "DJANGO_SETTINGS_MODULE": "demo.settings",
    }
    options = ["--workers", "4", "--worker-class", "gthread", "--threads", "4", "--backlog", "64"]

    def logs_in(port: int) -> bool:  # ready: a worker answers, with the database behind it
        return call(port, "POST", "/api/token/", {"username": "alice", "password": PASSWORD})[0] == 200

    try:
        with gunicorn("demo.wsgi", cwd=DEMO, env=env, options=options, ready=logs_in) as server:
            yield server.port, env
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert "Traceback" not in server.output, server.output[-4000:]


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, json.dumps(body or {}), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


MINT = """
from django.contrib.auth.models import User
from django.utils.module_loading import import_string
from rest_framework_simplejwt.settings import api_settings
token_class = import_string(api_settings.TOKEN_OBTAIN_SERIALIZER).token_class
alice = User.objects.get(username="alice")
print("\\n".join(str(token_class.for_user(alice)) for _ in range({n})))
"""


def obtain_many(env: dict[str, str], n: int) -> list[str]:
    """n refresh tokens, as the obtain view makes them (the project's token class, outstanding rows).

    One `manage.py shell` instead of n logins: the demo hashes passwords with PBKDF2 (~0.3 s each).
    """
    command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", MINT.format(n=n)]
    out = subprocess.run(command, cwd=DEMO, env=env, check=True, capture_output=True, text=True).stdout
    tokens = out.split()
    assert len(tokens) == n and len(set(tokens)) == n
    return tokens


def refresh(port: int, token: str) -> tuple[int, dict]:
    return call(port, "POST", "/api/token/refresh/", {"refresh": token})


def stampede(port: int, token: str) -> race.Stampede:
    """CLIENTS clients released together, each presenting ``token`` to the refresh view."""
    return race.stampede(port, "/api/token/refresh/", json.dumps({"refresh": token}), clients=CLIENTS)


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[http concurrency] {line}", flush=True)


def test_ours_exactly_one_winner_then_the_family_is_revoked(template_db, capsys):
    winners = Counter()
    codes: Counter[str] = Counter()
    in_flight = []
    started = time.monotonic()
    with demo_server(template_db, "ours") as (port, env):
        for token in obtain_many(env, TRIALS):
            results = stampede(port, token)
            ok = [body for status, body in results if status == 200]
            winners[len(ok)] += 1
            codes.update(body.get("code", "?") for status, body in results if status != 200)
            in_flight.append(results.overlapping_the_winner())
            assert len(ok) == 1, results
            assert sorted(status for status, _ in results) == [200] + [401] * (CLIENTS - 1)
            # With no grace period the losers presented a consumed token: the family is revoked.
            status, body = refresh(port, token)
            assert (status, body.get("code")) == (401, "token_family_revoked")
            status, body = refresh(port, ok[0]["refresh"])
            assert (status, body.get("code")) == (401, "token_family_revoked")
    report(
        capsys,
        f"ours: {TRIALS} trials x {CLIENTS} clients, 200s per trial {dict(winners)}, 401 codes "
        f"{dict(codes)}, other requests in flight with the winner's {min(in_flight)} to {max(in_flight)} "
        f"(mean {sum(in_flight) / TRIALS:.1f}), {time.monotonic() - started:.1f}s",
    )
    assert winners == {1: TRIALS}
    # The race happened: in every trial the winner was not served alone ...
    assert min(in_flight) >= 1, in_flight
    # ... and losers met both states of the token: consumed (reuse, which revokes the family) and revoked.
    assert set(codes) == {"token_reused", "token_family_revoked"}, codes


def test_ours_with_a_grace_period_then_a_late_replay_revokes_the_family(template_db, capsys):
    tokens = []
    winners = Counter()
    in_flight = []
    with demo_server(template_db, "grace", DEMO_REUSE_GRACE_SECONDS=str(GRACE)) as (port, env):
        for token in obtain_many(env, TRIALS):
            results = stampede(port, token)
            ok = [body for status, body in results if status == 200]
            winners[len(ok)] += 1
            in_flight.append(results.overlapping_the_winner())
            assert len(ok) == 1, results
            assert {body.get("code") for status, body in results if status != 200} == {"token_already_rotated"}
            tokens.append((token, ok[0]["refresh"]))
        # The winners' tokens still work (nothing was revoked) ... until the rotated token is replayed late.
        time.sleep(GRACE + 0.5)
        for old, new in tokens:
            status, body = refresh(port, old)
            assert (status, body.get("code")) == (401, "token_reused")
            status, body = refresh(port, new)
            assert (status, body.get("code")) == (401, "token_family_revoked")
    report(
        capsys,
        f"ours, {GRACE}s grace: 200s per trial {dict(winners)}; other requests in flight with the winner's "
        f"{min(in_flight)} to {max(in_flight)}; every late replay revoked its family",
    )
    assert winners == {1: TRIALS}
    assert min(in_flight) >= 1, in_flight  # the race happened in every trial


def test_stock_simplejwt_control_lets_several_win(template_db, capsys):
    winners = Counter()
    replays = Counter()
    newest = Counter()
    started = time.monotonic()
    with demo_server(template_db, "stock", DEMO_STOCK="1") as (port, env):
        for token in obtain_many(env, TRIALS):
            results = stampede(port, token)
            ok = [body for status, body in results if status == 200]
            winners[len(ok)] += 1
            replays[refresh(port, token)[0]] += 1
            if ok:
                newest[refresh(port, ok[0]["refresh"])[0]] += 1
    total = sum(count * times for count, times in winners.items())
    report(
        capsys,
        f"stock simplejwt: {TRIALS} trials x {CLIENTS} clients, 200s per trial {dict(sorted(winners.items()))} "
        f"(mean {total / TRIALS:.1f}, exactly one in {winners.get(1, 0)} of {TRIALS}); replay statuses "
        f"{dict(replays)}; a winner's new refresh token afterwards: {dict(newest)}; "
        f"{time.monotonic() - started:.1f}s",
    )
    assert sum(winners.values()) == TRIALS
    # The control: the same server and harness let stock simplejwt hand out several pairs for one token at
    # least once, so the single winner in ours is the store's doing, not requests that happened not to overlap.
    assert max(winners) > 1, winners
