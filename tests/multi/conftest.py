"""Throwaway PostgreSQL (scripts/postgres.sh) and Redis (scripts/redis.sh) for the multi-server test.

Each installs its Debian package when missing; both listen on 127.0.0.1 only and are deleted afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.server import free_port
from tests.multi.report import REPORT

ROOT = Path(__file__).resolve().parents[2]


class Service:
    def __init__(self, script: str) -> None:
        self.script = str(ROOT / "scripts" / script)
        self.dir = tempfile.mkdtemp(prefix=f"simplejwt-rs-multi-{script.split('.')[0]}.")
        self.port = free_port()
        self.url = ""

    def start(self) -> str:
        out = subprocess.run(
            [self.script, "start", self.dir, str(self.port)], check=True, stdout=subprocess.PIPE, text=True
        )
        self.url = out.stdout.strip().splitlines()[-1]
        return self.url

    def stop(self, *extra: str) -> None:
        subprocess.run([self.script, "stop", self.dir, *extra], check=True)

    def restart(self) -> None:
        subprocess.run([self.script, "restart", self.dir], check=True)


def running(script: str):
    """The service of ``scripts/<script>``, started for the fixture's scope."""
    service = Service(script)
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def postgres():
    yield from running("postgres.sh")


@pytest.fixture(scope="session")
def redis():
    yield from running("redis.sh")


@pytest.fixture(scope="session")
def project_env(postgres, redis):
    """The environment both servers run with; the database migrated."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "DJANGO_SETTINGS_MODULE": "tests.multi.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    subprocess.run([sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    return env


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("multi-server: policy cache over real HTTP")
        for line in REPORT:
            terminalreporter.write_line(line)
