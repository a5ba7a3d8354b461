"""The browser suite's fixtures: the test project under gunicorn, a second site, and one headless Chromium.

Chromium and chromedriver are Debian's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``; ``make
test-browser`` installs them when missing); Selenium drives them, started once per session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.server import HOST, free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
PASSWORD = "correct horse battery staple"
ACCESS_SECONDS = 2


class Project:
    def __init__(self, url: str, db: str, log) -> None:
        self.url = url
        self.db = db
        self.read_log = log

    def first_name(self, username: str = "alice") -> str:
        import sqlite3

        with sqlite3.connect(self.db) as connection:
            return connection.execute("SELECT first_name FROM auth_user WHERE username = ?", (username,)).fetchone()[0]


def start_project(samesite: str):
    """Migrate a fresh database, create alice, start gunicorn; yields the Project."""
    work = tempfile.mkdtemp(prefix="simplejwt-rs-browser.")
    db = str(Path(work) / "db.sqlite3")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
        "BROWSER_DB": db,
        "BROWSER_ACCESS_SECONDS": str(ACCESS_SECONDS),
        "BROWSER_SAMESITE": samesite,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    create = f"from django.contrib.auth.models import User; User.objects.create_user('alice', password={PASSWORD!r})"
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c", create], cwd=ROOT, env=env, check=True)
    # The access log shows which requests reached the server; a short graceful timeout, since the browser
    # keeps connections open.
    options = ["--workers", "2", "--access-logfile", "-", "--graceful-timeout", "1"]
    try:
        with gunicorn("tests.browser.wsgi", cwd=ROOT, env=env, options=options) as server:
            yield Project(server.url, db, server.read_log)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def project():
    """The project with the cookie settings at their defaults (SameSite=Lax)."""
    yield from start_project("Lax")


@pytest.fixture(scope="session")
def project_samesite_none():
    """The same project with SameSite=None: cross-site requests carry the cookies, CSRF alone stands."""
    yield from start_project("None")


EVIL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>working</title></head><body>
<iframe name="sink"></iframe>
<form id="form" method="post" action="{target}/api/profile/" target="sink">
  <input name="first_name" value="pwned-by-form"></form>
<script>
(async () => {{
  // A simple request (no preflight): sent, with whatever cookies the browser attaches cross-site.
  await fetch("{target}/api/profile/", {{method: "POST", mode: "no-cors", credentials: "include",
    body: new URLSearchParams({{first_name: "pwned-by-fetch"}})}}).catch(() => null);
  // A JSON request needs a preflight the API does not answer: never sent.
  await fetch("{target}/api/profile/", {{method: "POST", credentials: "include",
    headers: {{"Content-Type": "application/json"}}, body: '{{"first_name": "pwned-by-json"}}'}}).catch(() => null);
  // A form posted into a frame, as a classic CSRF attack does.
  const frame = document.querySelector("iframe");
  await new Promise((done) => {{ frame.onload = done; document.getElementById("form").submit(); }});
  document.title = "done";
}})();
</script></body></html>"""


class Site:
    """Another site: http://localhost:<port> serving a page that attacks the project at 127.0.0.1."""

    def __init__(self, target: str) -> None:
        page = EVIL_PAGE.format(target=target).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, free_port()), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def serve_site(target: Project):
    """The other site, attacking ``target``, for the fixture's scope."""
    site = Site(target.url)
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="session")
def other_site(project):
    yield from serve_site(project)


@pytest.fixture(scope="session")
def other_site_none(project_samesite_none):
    yield from serve_site(project_samesite_none)


@pytest.fixture(scope="session")
def chromium(project):  # (after the project: quit before the server stops)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    # Chrome's own default: third-party cookies allowed (the SameSite=None test needs the browser to send them;
    # some builds block them under automation).
    options.add_experimental_option(
        "prefs", {"profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": False}
    )
    options.add_argument("--disable-features=TrackingProtection3pcd,ThirdPartyStoragePartitioning")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, project):
    """The app's page, freshly loaded with no cookies, and the CSRF cookie set (as the app starts)."""
    chromium.execute_cdp_cmd("Network.enable", {})
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.get(project.url + "/")
    return chromium
