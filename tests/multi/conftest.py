"""Throwaway PostgreSQL (scripts/postgres.sh) and Redis (scripts/redis.sh) for the multi-server test.

Each installs its Debian package when missing; both listen on 127.0.0.1 only and are deleted afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.services import running
from tests.multi.report import REPORT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres():
    with running("postgres.sh") as service:
        yield service


@pytest.fixture(scope="session")
def redis():
    with running("redis.sh") as service:
        yield service


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
