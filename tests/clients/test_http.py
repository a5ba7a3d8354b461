"""dj-rest-auth 7.1.1 in JWT cookie mode over real HTTP: the clients project under gunicorn (harness/server.py).

Cookies travel as a browser sends them (``Set-Cookie`` in, ``Cookie`` out);
SQLite in a file shared by two gunicorn workers with four threads each, so
eight refreshes are handled at once.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import simplejwt_rs

from harness import race
from harness.server import gunicorn
from tests.clients.helpers import ACCESS_COOKIE, LOGIN, PASSWORD, REFRESH, REFRESH_COOKIE, USER, code

ROOT = Path(__file__).resolve().parents[2]
USERS = ("alice", "bob", "carol", "dave", "erin")
CONCURRENT = 8


class Browser:
    """One client's cookie jar over fresh HTTP connections."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or ():
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def login(self, username: str) -> None:
        status, data = self.call("POST", LOGIN, {"username": username, "password": PASSWORD})
        assert status == 200, data
        assert {ACCESS_COOKIE, REFRESH_COOKIE} <= set(self.cookies) and data["refresh"] == ""


def manage(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "django", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        **os.environ,
        # The simplejwt_rs this test imports (the source tree's, or the one `make install` put in .venv).
        "PYTHONPATH": os.pathsep.join([str(Path(simplejwt_rs.__file__).parents[1]), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "tests.clients.settings",
        "CLIENTS_DB": str(tmp_path_factory.mktemp("clients") / "db.sqlite3"),
        "PATCH_UPSTREAM_CLASSES": "1",
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    seed = "; ".join(f"User.objects.create_user({name!r}, password={PASSWORD!r})" for name in USERS)
    manage(env, "shell", "-v", "0", "-c", f"from django.contrib.auth.models import User; {seed}")
    # The deployment check: with the opt-in, nothing of ours to report.
    assert "simplejwt_rs" not in manage(env, "check", "--tag", "security")
    options = ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]
    with gunicorn("tests.clients.wsgi", cwd=ROOT, env=env, options=options) as running:
        yield running.port, env
    assert "Traceback" not in running.output, running.output[-4000:]


def test_login_use_refresh_replay(server):
    port, _env = server
    browser = Browser(port)
    browser.login("alice")
    assert browser.call("GET", USER)[1]["username"] == "alice"

    first = browser.cookies[REFRESH_COOKIE]
    status, data = browser.call("POST", REFRESH)
    assert status == 200 and "refresh" not in data, data
    assert browser.cookies[REFRESH_COOKIE] != first
    assert browser.call("GET", USER)[0] == 200

    thief = Browser(port)
    thief.cookies[REFRESH_COOKIE] = first
    status, data = thief.call("POST", REFRESH)
    assert status == 401 and code(data) == "token_reused", data
    status, data = browser.call("POST", REFRESH)  # the rotated successor dies with its family
    assert status == 401 and code(data) == "token_family_revoked", data


@pytest.mark.parametrize(
    ("username", "change", "user_code"),
    [
        ("bob", "u.groups.add(Group.objects.get_or_create(name='locked')[0])", "user_inactive"),
        ("carol", "u.is_active = False; u.save()", "user_inactive"),
        ("dave", "u.delete()", "user_not_found"),
    ],
)
def test_refused_user(server, username, change, user_code):
    port, env = server
    browser = Browser(port)
    browser.login(username)
    assert browser.call("GET", USER)[0] == 200
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        f"from django.contrib.auth.models import Group, User; u = User.objects.get(username={username!r}); {change}",
    )
    status, data = browser.call("GET", USER)
    assert status == 401 and code(data) == user_code, data
    status, data = browser.call("POST", REFRESH)
    # Upstream's words, with the code in the body (upstream's own body has none; issue 25 item 5).
    assert status == 401 and data == {
        "detail": "No active account found for the given token.",
        "code": "no_active_account",
    }, data


def test_eight_concurrent_refreshes_one_wins(server):
    port, _env = server
    browser = Browser(port)
    browser.login("erin")
    cookie = f"{REFRESH_COOKIE}={browser.cookies[REFRESH_COOKIE]}"
    results = race.stampede(port, REFRESH, "{}", {"Cookie": cookie}, clients=CONCURRENT)
    assert sorted(status for status, _data in results) == [200] + [401] * (CONCURRENT - 1), results
    assert {code(data) for status, data in results if status == 401} <= {"token_reused", "token_family_revoked"}
