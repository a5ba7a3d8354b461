"""The policy near cache under faults, two gunicorn servers sharing PostgreSQL and Redis (near cache on, the
default with Django's RedisCache):

- its invalidation channel killed again and again under load (``CLIENT KILL`` from a second client) while
  users are deactivated through A: no request wrongly accepted (nor refused), no 5xx;
- Redis restarted (empty): requests go to the database meanwhile, and the near cache's channel is back, and
  requests answered without SQL again, within the breaker's window of Redis being back.

Run by `make test-multi` (part of `make test`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import redis as redis_py
from simplejwt_rs.policy_cache import BREAKER_SECONDS

from tests.multi.client import STATELESS, call, create_users, sql_queries
from tests.multi.report import REPORT
from tests.multi.test_multi_server import ME, obtain
from tests.multi.test_multi_server import servers as servers  # noqa: PLC0414  (the same two servers' fixture)

CHANNEL = "simplejwt_rs-near-cache"


def channels(admin: redis_py.Redis) -> list[dict]:
    return [client for client in admin.client_list() if client.get("name") == CHANNEL]


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_channel_killed_under_load(servers, redis):
    channel_killed_under_load(servers, redis)


def channel_killed_under_load(servers, redis, prefix: str = "kill", row_every: int = 7, workers: int = 4) -> None:
    """Clients on A and B (every ``row_every``-th request on JWTAuthentication's route, the others stateless)
    while the channels (``workers`` of them once warm) are killed and users deactivated through A."""
    a, b = (server.port for server in servers)
    good = [f"{prefix}-good-{i}" for i in range(6)]
    victims = [f"{prefix}-victim-{i}" for i in range(12)]
    create_users(a, [*good, *victims])
    tokens = {name: obtain(a, name)[0] for name in [*good, *victims]}
    admin = redis_py.Redis.from_url(redis.url)
    # Each worker of each server opens its channel on its first lookup: warm every one.
    assert wait_for(
        lambda: (
            all(call(p, "GET", STATELESS, token=tokens[good[0]])[0] == 200 for p in (a, b))
            and len(channels(admin)) >= workers
        ),
        20,
    ), channels(admin)
    deactivated: dict[str, float] = {}
    results: list[tuple[float, str, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    kills = Counter()

    def client(index: int) -> None:
        names = [*good, *victims]
        k = index
        while not stop.is_set():
            name = names[k % len(names)]
            port = (a, b)[k % 2]
            path = ME if k % row_every == 0 else STATELESS
            k += 1
            began = time.perf_counter()
            try:
                status, _data, headers = call(port, "GET", path, token=tokens[name])
                near_state = headers.get("X-Near-Cache", "?")
            except OSError:
                status, near_state = 599, "?"
            with lock:
                results.append((began, name, status, near_state))

    def killer() -> None:
        while not stop.is_set():
            for channel in channels(admin):
                try:
                    admin.client_kill_filter(_id=channel["id"])
                    kills["killed"] += 1
                except redis_py.ResponseError:
                    pass  # gone meanwhile
            time.sleep(0.15)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    threads.append(threading.Thread(target=killer))
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        for name in victims:
            assert call(a, "POST", f"/control/deactivate/{name}/")[0] == 200
            deactivated[name] = time.perf_counter()
            time.sleep(0.25)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        admin.close()
    counts: Counter[str] = Counter()
    for began, name, status, near_state in results:
        counts["requests"] += 1
        counts[f"near {near_state}"] += 1
        if status >= 500:
            counts["5xx"] += 1
        if status == 200 and name in deactivated and began > deactivated[name]:
            counts["wrongly accepted"] += 1
        if status != 200 and name in good:
            counts["wrongly refused"] += 1
    REPORT.append(
        f"near cache channel killed under load ({prefix}): {kills['killed']} kills, {counts['requests']} requests "
        f"({counts['near up']} answered with the channel up), {len(victims)} users deactivated through A; "
        f"{counts['5xx']} 5xx, {counts['wrongly accepted']} wrongly accepted, "
        f"{counts['wrongly refused']} wrongly refused"
    )
    assert kills["killed"] >= 10
    assert counts["near up"] > 0
    assert counts["5xx"] == 0
    assert counts["wrongly accepted"] == 0
    assert counts["wrongly refused"] == 0


def test_redis_restarted_recovers_within_the_breaker_window(servers, redis):
    a, b = (server.port for server in servers)
    create_users(a, ["restart-good", "restart-victim"])
    token = obtain(a, "restart-good")[0]
    victim = obtain(a, "restart-victim")[0]
    for port in (a, b):
        for _ in range(8):
            assert call(port, "GET", STATELESS, token=token)[0] == 200
            assert call(port, "GET", STATELESS, token=victim)[0] == 200
    redis.stop("keep")
    try:
        assert call(a, "POST", "/control/deactivate/restart-victim/")[0] == 200  # Redis down: the database has it
        for port in (a, b):
            for _ in range(4):
                status, _data, headers = call(port, "GET", STATELESS, token=token)
                assert status == 200 and sql_queries(headers) > 0 and headers["X-Near-Cache"] == "down"
                assert call(port, "GET", STATELESS, token=victim)[0] == 401
    finally:
        redis.start()
    back = time.perf_counter()
    recovered: dict[int, float] = {}

    def cached_again(port: int) -> bool:
        # Both workers of the server: a few requests in a row answered without SQL, the channel up.
        for _ in range(6):
            status, _data, headers = call(port, "GET", STATELESS, token=token)
            assert status == 200
            assert call(port, "GET", STATELESS, token=victim)[0] == 401
            if sql_queries(headers) != 0 or headers["X-Near-Cache"] != "up":
                return False
        recovered.setdefault(port, time.perf_counter() - back)
        return True

    assert wait_for(lambda: all(cached_again(port) for port in (a, b)), 30)
    REPORT.append(
        "Redis restarted (empty): near cache and policy cache answering again (no SQL, channel up) after "
        + ", ".join(f"{seconds:.2f} s" for seconds in recovered.values())
        + f" (breaker window {BREAKER_SECONDS} s)"
    )
    assert max(recovered.values()) <= BREAKER_SECONDS + 1.0
