"""gunicorn on 127.0.0.1 for the demo, the HTTP benchmark and the HTTP tests: started, waited for, stopped.

    with gunicorn("demo.wsgi", cwd=DEMO, env=env, log=path, options=["--workers", "2"]) as server:
        urllib.request.urlopen(server.url + "/api/me/")
    server.returncode, server.output   # after the block: how it ended, and what it wrote

The server runs in its own process group, so stopping it (SIGTERM, then SIGKILL after
``STOP_SECONDS``) stops its workers too, whatever the block raised.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
START_SECONDS = 30.0
STOP_SECONDS = 15.0


class ServerDidNotStart(RuntimeError):
    """gunicorn exited, or did not pass the readiness check, within ``START_SECONDS``; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def accepts_connections(port: int) -> bool:
    """The default readiness check: the port accepts a TCP connection."""
    socket.create_connection((HOST, port), timeout=1).close()
    return True


class Server:
    """One gunicorn master; ``output`` and ``returncode`` are set once it has stopped."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: IO[str]) -> None:
        self.process = process
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.pid = process.pid
        self.log = log
        self.output = ""
        self.returncode: int | None = None

    def read_log(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.returncode is not None:
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:  # the group is gone already
            self.process.wait()
        self.returncode = self.process.returncode
        self.output = self.read_log()
        self.log.close()


def start(
    app: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    options: Sequence[str] = (),
    log: Path | None = None,
    ready: Callable[[int], bool] = accepts_connections,
    python: str = sys.executable,
    program: str = "gunicorn",
) -> Server:
    """Start gunicorn (or ``program="uvicorn"``) serving ``app`` on a free port and return once ``ready(port)`` is true.

    ``log`` is appended to (gunicorn's stdout and stderr); without one, a temporary file.
    ``ready`` may raise ``OSError`` while the server is not up yet.  Raises
    ``ServerDidNotStart`` (after stopping it) when the server exits or is not ready in time.
    """
    port = free_port()
    log_file = open(log, "a+") if log else tempfile.TemporaryFile("w+")  # noqa: SIM115  (Server.stop closes it)
    bind = ["--bind", f"{HOST}:{port}"] if program == "gunicorn" else ["--host", HOST, "--port", str(port)]
    process = subprocess.Popen(
        [python, "-m", program, app, *bind, *options],
        cwd=cwd,
        env=dict(env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its workers too
    )
    server = Server(process, port, log_file)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if ready(port):
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise ServerDidNotStart(
                f"{program} {app} did not start (exit {server.returncode}):\n{server.output[-4000:]}"
            )
        time.sleep(0.2)


@contextmanager
def gunicorn(app: str, **kwargs) -> Iterator[Server]:
    """``start(app, **kwargs)`` around a block, stopped at its end."""
    server = start(app, **kwargs)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def uvicorn(app: str, **kwargs) -> Iterator[Server]:
    """``start(app, program="uvicorn", **kwargs)`` (an ASGI ``module:attribute``) around a block, stopped at its end."""
    with gunicorn(app, program="uvicorn", **kwargs) as server:
        yield server
