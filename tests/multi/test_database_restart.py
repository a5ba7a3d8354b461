"""PostgreSQL restarted under load (issue 19 item 12): never a 500; every 503 has a code and Retry-After.

Two gunicorn servers share the throwaway PostgreSQL (and Redis, for POLICY_CACHE). Client threads send,
to both servers in turn, every kind of request we ship an answer for: obtain (pair and sliding), refresh
(single-use rotation on), sliding refresh, verify, logout, "log out everywhere", and authenticated GETs
through both authentication classes. Meanwhile PostgreSQL is restarted with ``pg_ctl restart -m fast``:
the servers' persistent connections (CONN_MAX_AGE) are cut and new ones are refused for a moment.

Asserted: 0 responses 500 (or any 5xx but 503); every 503 carries ``code`` (``database_unavailable`` or
``token_store_busy``) and ``Retry-After``; the outage was seen (some 503s); afterwards every kind of request
succeeds again; the servers' logs name what failed and hold no traceback. Bounded: about 10 s of load.

And a forgotten ``migrate`` on the command line (issue 25 item 2): ``manage.py check --database default``
names the unapplied migrations (simplejwt_rs.W051); ``check`` without ``--database`` and ``migrate`` itself
stay quiet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.multi.client import PASSWORD, STATELESS, call, create_users, servers_a_and_b
from tests.multi.report import REPORT

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = int(os.environ.get("RESTART_CLIENTS", "8"))
BEFORE_SECONDS = 2.0
AFTER_SECONDS = 4.0
OPTIONS = ["--workers", "1", "--worker-class", "gthread", "--threads", "4"]
CODES_503 = {"database_unavailable", "token_store_busy"}


@pytest.fixture(scope="module")
def two_servers(project_env):
    with servers_a_and_b(project_env, OPTIONS) as started:
        yield started


class Client:
    """One user's session: cycles through every endpoint, starting over with a login when a token dies."""

    def __init__(self, index: int, ports: tuple[int, int], record) -> None:
        self.name = f"restart-{index}"
        self.ports = ports
        self.record = record
        self.k = index
        self.access = self.refresh = self.sliding = None

    def send(self, kind: str, method: str, path: str, body=None, token=None):
        port = self.ports[self.k % 2]
        self.k += 1
        try:
            status, data, headers = call(port, method, path, body, token)
        except OSError as exc:  # the server itself unreachable: never expected, counted apart
            self.record(kind, 599, {"error": str(exc)}, {})
            return 599, {}
        self.record(kind, status, data, headers)
        return status, data

    def login(self) -> bool:
        status, data = self.send("obtain", "POST", "/api/token/", {"username": self.name, "password": PASSWORD})
        if status == 200:
            self.access, self.refresh = data["access"], data["refresh"]
        status, data = self.send(
            "obtain sliding", "POST", "/api/token/sliding/", {"username": self.name, "password": PASSWORD}
        )
        if status == 200:
            self.sliding = data["token"]
        return self.access is not None and self.sliding is not None

    def step(self, n: int) -> None:
        if (self.access is None or self.sliding is None) and not self.login():
            return
        if n % 23 == 22:  # log out everywhere, then start over
            self.send("revoke", "POST", "/api/token/revoke/", {}, token=self.access)
            self.access = self.sliding = None
        elif n % 11 == 10:  # log out, then start over
            self.send("logout", "POST", "/api/token/blacklist/", {"refresh": self.refresh})
            self.access = None
        elif n % 5 == 0:
            status, data = self.send("refresh", "POST", "/api/token/refresh/", {"refresh": self.refresh})
            if status == 200:
                self.access, self.refresh = data["access"], data["refresh"]
            elif status != 503:  # e.g. consumed by a commit whose answer was lost: log in again
                self.access = None
        elif n % 5 == 1:
            status, data = self.send("sliding refresh", "POST", "/api/token/sliding/refresh/", {"token": self.sliding})
            if status == 200:
                self.sliding = data["token"]
        elif n % 5 == 2:
            self.send("verify", "POST", "/api/token/verify/", {"token": self.access})
        elif n % 5 == 3:
            self.send("JWTAuthentication", "GET", "/api/me/", token=self.access)
        else:
            self.send("JWTStatelessUserAuthentication", "GET", STATELESS, token=self.access)


def test_postgres_restart_under_load(two_servers, postgres):
    ports = tuple(server.port for server in two_servers)
    create_users(ports[0], [f"restart-{i}" for i in range(CLIENTS)])
    results: list[tuple[float, str, int, str, str | None]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def record(kind, status, data, headers):
        with lock:
            results.append((time.perf_counter(), kind, status, str(data.get("code", "")), headers.get("Retry-After")))

    def run(index: int) -> None:
        client = Client(index, ports, record)
        n = 0
        while not stop.is_set():
            client.step(n)
            n += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(BEFORE_SECONDS)
        restarting = time.perf_counter()
        postgres.restart()
        restarted = time.perf_counter()
        time.sleep(AFTER_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    counts: Counter[str] = Counter()
    for _at, kind, status, code, retry_after in results:
        counts[f"{kind} {status}"] += 1
        counts[status] += 1
        if status == 503:
            counts[f"503 {code or 'without code'}"] += 1
            if code not in CODES_503 or not retry_after:
                counts["bad 503"] += 1
    kinds = sorted({kind for _at, kind, *_rest in results})
    # After the restart (and a moment for the servers' first failing query per connection), everything works.
    settled = restarted + 1.5
    late = Counter((kind, status) for at, kind, status, *_rest in results if at > settled)
    REPORT.append(
        f"PostgreSQL restarted under load (pg_ctl restart -m fast, {restarted - restarting:.2f} s; {CLIENTS} "
        f"clients, 2 servers): {len(results)} responses, {counts[500]} with status 500, {counts[503]} with 503 "
        f"({counts['503 database_unavailable']} database_unavailable, {counts['503 token_store_busy']} "
        f"token_store_busy, {counts['bad 503']} without a code or Retry-After)"
    )
    REPORT.append("  503s by endpoint: " + ", ".join(f"{k} {counts[f'{k} 503']}" for k in kinds if counts[f"{k} 503"]))
    if counts[500]:
        for server in two_servers:
            print(server.read_log()[-20000:])
    assert counts[500] == 0, counts
    assert not [status for status in counts if isinstance(status, int) and status >= 500 and status != 503], counts
    assert counts["bad 503"] == 0, counts
    assert counts[503] > 0, "the restart was not seen by any request: the test proved nothing"
    assert len(kinds) == 9, kinds
    for kind in kinds:
        assert late[(kind, 503)] == 0 and any(late[(kind, s)] for s in (200, 204)), (kind, late)
    for server in two_servers:
        log = server.read_log()
        assert "Traceback" not in log and "Internal Server Error" not in log, log[-4000:]
        assert "the database is unavailable" in log, log[-4000:]


def test_check_names_a_forgotten_migrate_and_migrate_stays_quiet(project_env):
    def django(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "django", *args], cwd=ROOT, env=project_env, capture_output=True, text=True
        )

    assert django("migrate", "simplejwt_rs", "zero", "--no-input", "-v", "0").returncode == 0
    try:
        checked = django("check", "--database", "default")
        report = checked.stdout + checked.stderr
        assert checked.returncode == 0, report  # a warning: nothing else fails the project's check
        assert "simplejwt_rs.W051" in report and "simplejwt_rs.0003_revokedusertokens" in report, report
        plain = django("check")
        assert "W051" not in plain.stdout + plain.stderr
    finally:
        migrated = django("migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying simplejwt_rs.0001_initial" in migrated.stdout
    assert "W051" not in migrated.stdout + migrated.stderr
