"""Talking to the multi-server project over HTTP: one helper for every test in tests/multi."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from harness.server import start

ROOT = Path(__file__).resolve().parents[2]

PASSWORD = "correct horse battery staple"
STATELESS = "/api/me/stateless/"


def call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    """(status, json body, headers) over a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {"raw": raw[:200].decode(errors="replace")}
        return response.status, data, dict(response.getheaders())
    finally:
        conn.close()


def sql_queries(headers: dict[str, Any]) -> int | None:
    """The SQL queries the request made (the project's X-Queries header), None without it."""
    value = headers.get("X-Queries")
    return None if value is None else int(value)


def answers(port: int) -> bool:
    """Whether the server is up and refusing an unauthenticated request, as it should."""
    return call(port, "GET", STATELESS)[0] == 401


def create_users(port: int, names: list[str]) -> None:
    status, data, _headers = call(port, "POST", "/control/users/", {"usernames": names, "password": PASSWORD})
    assert status == 200, data


@contextmanager
def servers_a_and_b(env: dict[str, str], options: list[str]) -> Iterator[list[Any]]:
    """Servers A and B: the same project, each its own gunicorn with ``options``, stopped on exit."""
    with ExitStack() as stack:
        started = []
        for _name in ("A", "B"):
            server = start("tests.multi.wsgi", cwd=ROOT, env=env, options=options, ready=answers)
            stack.callback(server.stop)
            started.append(server)
        yield started
