"""The throwaway PostgreSQL and Redis of ``scripts/postgres.sh`` and ``scripts/redis.sh``, from Python.

    with running("redis.sh") as redis:
        redis.url                      # redis://127.0.0.1:<port>/0
        redis.stop("keep"); redis.start()

Each script installs its Debian package when missing, listens on 127.0.0.1 only (a free port), and deletes its
directory when stopped.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.server import free_port

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


class Service:
    """One server of ``scripts/<script>``, in a temporary directory of its own, on a free port."""

    def __init__(self, script: str) -> None:
        self.script = str(SCRIPTS / script)
        self.dir = tempfile.mkdtemp(prefix=f"simplejwt-rs-{script.split('.')[0]}.")
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


@contextmanager
def running(script: str) -> Iterator[Service]:
    """``Service(script)`` started around a block, stopped at its end."""
    service = Service(script)
    service.start()
    try:
        yield service
    finally:
        service.stop()
