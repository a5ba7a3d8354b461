"""Many HTTP clients sending one request at once, for the race tests (tests/http, tests/asgi, tests/clients).

    answers = stampede(port, "/api/token/refresh/", json.dumps({"refresh": token}), clients=16)
    sorted(status for status, _ in answers)      # e.g. [200, 401, 401, ...]
    answers.overlapping_the_winner()             # the race, seen from the clients

Each client opens its connection first; a barrier then releases them together, so that the requests reach the
server as close together as the server can take them.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from harness.server import HOST

CONNECT_SECONDS = 60.0  # a client's wait for its answer
JOIN_SECONDS = 90.0  # the wait for each client thread to end


class Stampede(list[tuple[int, Any]]):
    """The ``(status, JSON body)`` each client received, and ``spans``: when each request was sent and its answer
    read (``time.monotonic()``), with its status."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[float, float, int]] = []

    def overlapping_the_winner(self) -> int:
        """How many other requests were sent before the first 200 came back (0 without a 200).

        A race test whose requests were served one after another would pass without any lock; a count above 0
        shows that they were not."""
        winners = [span for span in self.spans if span[2] == 200]
        if not winners:
            return 0
        first = min(winners, key=lambda span: span[1])
        return sum(1 for span in self.spans if span is not first and span[0] < first[1])


def stampede(
    port: int, path: str, body: str, headers: Mapping[str, str] | None = None, *, clients: int = 16
) -> Stampede:
    """``clients`` connections to 127.0.0.1:``port``, released together, each POSTing ``body`` to ``path``.

    Raises ``AssertionError`` when a client failed (its exception in the message) or did not finish."""
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    ready = threading.Barrier(clients, timeout=30)
    results = Stampede()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=CONNECT_SECONDS)
            conn.connect()
            ready.wait()
            sent = time.monotonic()
            conn.request("POST", path, body, sent_headers)
            response = conn.getresponse()
            answer = (response.status, json.loads(response.read() or b"{}"))
            done = time.monotonic()
            conn.close()
            with lock:
                results.append(answer)
                results.spans.append((sent, done, answer[0]))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    if errors or len(results) != clients:
        raise AssertionError(f"{len(results)} of {clients} clients answered; errors: {errors!r}")
    return results
