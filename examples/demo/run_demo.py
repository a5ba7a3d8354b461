"""Drive the demo project over real HTTP: obtain, use, refresh, deactivate, then watch every door close.

Migrates a fresh SQLite database, starts gunicorn on 127.0.0.1, prints each
step with its status code, always stops the server, and exits non-zero if any
status differs from what the step expects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root, for harness/

from harness.server import ServerDidNotStart, gunicorn  # noqa: E402

PASSWORD = "correct horse battery staple"


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.failures = 0

    def call(self, step: str, expect: int, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
        request = urllib.request.Request(self.base + path, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        data = json.dumps(body).encode() if body is not None else None
        try:
            with urllib.request.urlopen(request, data, timeout=10) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        try:
            parsed = json.loads(payload or b"{}")
        except ValueError:
            parsed = {"body": payload[:200].decode(errors="replace")}
        ok = status == expect
        self.failures += not ok
        detail = " ".join(str(parsed[key]) for key in ("code", "detail") if key in parsed)
        print(f"{'ok  ' if ok else 'FAIL'} {step:<55} {method} {path:<34} -> {status} (expected {expect}) {detail}")
        return parsed


def story(client: Client) -> None:
    def post(step: str, expect: int, path: str, body: dict, token: str = "") -> dict:
        return client.call(step, expect, "POST", path, body, token)

    def get_me(step: str, expect: int, token: str) -> dict:
        return client.call(step, expect, "GET", "/api/me/", token=token)

    alice = {"username": "alice", "password": PASSWORD}
    pair = post("1. alice obtains a token pair", 200, "/api/token/", alice)
    get_me("2. alice uses the access token", 200, pair.get("access", ""))
    rotated = post("3. alice refreshes (rotation on)", 200, "/api/token/refresh/", {"refresh": pair.get("refresh")})
    get_me("4. the new access token works", 200, rotated.get("access", ""))
    post(
        "5. someone replays the rotated-out refresh token", 401, "/api/token/refresh/", {"refresh": pair.get("refresh")}
    )
    post(
        "6. ...so alice's newest refresh token is revoked too",
        401,
        "/api/token/refresh/",
        {"refresh": rotated.get("refresh")},
    )
    pair = post("7. alice logs in again (a new token family)", 200, "/api/token/", alice)
    rotated = post("8. alice refreshes", 200, "/api/token/refresh/", {"refresh": pair.get("refresh")})
    access, refresh = rotated.get("access", ""), rotated.get("refresh", "")
    post("9. verify alice's access token", 200, "/api/token/verify/", {"token": access})

    admin = post("10. the admin obtains a token", 200, "/api/token/", {"username": "admin", "password": PASSWORD})
    post("11. the admin deactivates alice", 200, "/api/users/alice/deactivate/", {}, admin.get("access", ""))

    post("12. alice refreshes", 401, "/api/token/refresh/", {"refresh": refresh})
    get_me("13. alice uses her still-unexpired access token", 401, access)
    post("14. verify alice's access token", 401, "/api/token/verify/", {"token": access})
    post("15. alice logs in again", 401, "/api/token/", alice)
    get_me("16. a malformed token", 401, "not.a.token")


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="simplejwt-rs-demo-"))
    env = {**os.environ, "DEMO_DB": str(workdir / "demo.sqlite3"), "DJANGO_SETTINGS_MODULE": "demo.settings"}
    manage = [sys.executable, str(HERE / "manage.py")]

    def run(*args: str) -> None:
        subprocess.run([*manage, *args], cwd=HERE, env=env, check=True)

    print(f"fresh SQLite database in {workdir}")
    run("migrate", "--no-input", "-v", "0")
    run("check", "--fail-level", "WARNING")
    seed = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user('alice', password={PASSWORD!r}); "
        f"User.objects.create_superuser('admin', password={PASSWORD!r})"
    )
    run("shell", "-v", "0", "-c", seed)

    log = workdir / "gunicorn.log"
    try:
        with gunicorn("demo.wsgi", cwd=HERE, env=env, log=log, options=["--workers", "2"]) as server:
            print(f"gunicorn (pid {server.pid}) serving demo on {server.url}\n")
            client = Client(server.url)
            story(client)
    except ServerDidNotStart as error:
        print(error)
        return 1
    print(f"\ngunicorn stopped (exit {server.returncode})")

    if client.failures:
        print(f"{client.failures} step(s) gave an unexpected status; server log: {log}")
        return 1
    print("every step gave the expected status")
    shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
