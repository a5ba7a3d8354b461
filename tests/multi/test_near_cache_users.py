"""POLICY_NEAR_CACHE_USERS on two gunicorn servers: B keeps JWTAuthentication's user row in its near cache,
and a change through A is still refused (or, for a field, seen) by B's very next request.

Per kind of change (as tests/multi/test_multi_server.py), MULTI_TRIALS trials: a fresh user's token is
accepted by B until B answers it with no SQL (the row kept), the change is made through A, and B's next
request must refuse it.  And a field changed through ``save()`` on A (``is_staff``) is in B's next answer;
and the channel-killed fault test (tests/multi/test_near_cache_faults.py) with every request reading the row.
"""

from __future__ import annotations

import json

import pytest

from tests.multi.client import call, create_users, servers_a_and_b, sql_queries
from tests.multi.report import REPORT
from tests.multi.test_multi_server import KINDS, ME, TRIALS, change, error_code, obtain
from tests.multi.test_near_cache_faults import channel_killed_under_load


@pytest.fixture(scope="module")
def servers(project_env):
    """A and B with POLICY_NEAR_CACHE_USERS; one worker each (4 threads), so that B's warm-up warms the
    process that answers next."""
    env = {**project_env, "MULTI_SIMPLE_JWT": json.dumps({"POLICY_NEAR_CACHE_USERS": True})}
    options = ["--workers", "1", "--worker-class", "gthread", "--threads", "4"]
    with servers_a_and_b(env, options) as started:
        yield started
    for server in started:
        assert "Traceback" not in server.output, server.output[-4000:]


SEEN: list[tuple[int | None, str]] = []  # the last warm-up's (queries, near cache up or down) per request


def warm(b: int, access: str) -> int:
    """B's requests until one makes no SQL query (its row kept near): how many it took (0: not in 10)."""
    SEEN.clear()
    for n in range(1, 11):
        status, data, headers = call(b, "GET", ME, token=access)
        assert status == 200, data
        SEEN.append((sql_queries(headers), headers.get("X-Near-Cache", "?")))
        if sql_queries(headers) == 0:
            return n
    return 0


def test_a_change_through_a_is_refused_by_bs_kept_row(servers):
    a, b = (server.port for server in servers)
    create_users(a, [f"rows-{k}-{i}".replace(" ", "-") for k in KINDS for i in range(TRIALS)])
    nexts = {kind: 0 for kind in KINDS}
    warmed = longest = 0
    failed: list[list[tuple[int | None, str]]] = []
    for i in range(TRIALS):
        for kind, expected in KINDS.items():
            name = f"rows-{kind}-{i}".replace(" ", "-")
            access, refresh = obtain(a, name)
            took = warm(b, access)
            warmed += took > 0
            longest = max(longest, took)
            if not took and len(failed) < 3:
                failed.append(list(SEEN))
            change(a, kind, name, access, refresh)
            status, data, _headers = call(b, "GET", ME, token=access)
            assert status == 401 and error_code(data) == expected, (kind, status, data)
            nexts[kind] += 1
    total = TRIALS * len(KINDS)
    REPORT.append(
        f"POLICY_NEAR_CACHE_USERS (B keeps JWTAuthentication's row): {warmed}/{total} warm-ups reached a "
        f"request with no SQL (in {longest} requests at most); refused by B's very next request: "
        + ", ".join(f"{kind} {n}/{TRIALS}" for kind, n in nexts.items())
    )
    assert warmed == total, failed


def test_a_saved_field_is_seen_by_bs_next_request(servers):
    a, b = (server.port for server in servers)
    names = [f"rows-staff-{i}" for i in range(TRIALS)]
    create_users(a, names)
    seen = 0
    for name in names:
        access, _refresh = obtain(a, name)
        assert warm(b, access) > 0, SEEN
        assert call(b, "GET", ME, token=access)[1]["is_staff"] is False
        assert call(a, "POST", f"/control/staff/{name}/")[0] == 200
        status, data, _headers = call(b, "GET", ME, token=access)
        assert status == 200 and data["is_staff"] is True, data
        seen += 1
    REPORT.append(f"POLICY_NEAR_CACHE_USERS: is_staff saved through A seen by B's next request in {seen}/{TRIALS}")


def test_channel_killed_under_load_with_rows_kept(servers, redis):
    """The near cache fault test with the rows kept, every request on JWTAuthentication's route: no request
    wrongly accepted or refused, no 5xx, while the channels are killed and users deactivated through A."""
    channel_killed_under_load(servers, redis, prefix="rows-kill", row_every=1, workers=2)
