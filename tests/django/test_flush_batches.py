"""Tables that stay small (issue 23 item 3): every flush command deletes in batches, each a short transaction,
with flat memory, while refreshes keep succeeding; rows stay until ``exp + LEEWAY``.

Run on SQLite by ``pytest`` and on PostgreSQL by ``scripts/pg-tests.sh`` (50,000 rows there); ``make bench``
measures 1,000,000 rows (bench/flush.py).
"""

import io
import math
import threading
import tracemalloc
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, connections
from rest_framework.test import APIClient
from simplejwt_rs import store

from harness import flush_rows
from tests.django.helpers import PASSWORD, obtain, refresh, simple_jwt

LEEWAY = 300
BATCH = 500


def total_rows():
    return 50_000 if connection.vendor == "postgresql" else 5_000


class Batches:
    def __init__(self):
        self.seen = []

    def __call__(self, table, rows, seconds):
        self.seen.append((table, rows, seconds))

    def of(self, fragment):
        return [rows for table, rows, _ in self.seen if fragment in table]


def refresher(started, stop, results):
    """Refresh a token chain until told to stop, on a connection of its own; every answer recorded."""
    try:
        api = APIClient()
        token = obtain(api).data["refresh"]
        while not stop.is_set():
            response = refresh(api, token)
            results.append(response.status_code)
            started.set()
            if response.status_code != 200:
                break
            token = response.data["refresh"]
    except BaseException as exc:
        results.append(exc)
    finally:
        started.set()
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_both_flushes_delete_in_short_batches_while_refreshes_succeed(clock):
    User.objects.create_user("alice", password=PASSWORD)
    user = User.objects.get(username="alice")
    with simple_jwt(LEEWAY=LEEWAY, ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True, FLUSH_BATCH_SIZE=BATCH):
        now = store._dt(clock.now)
        seeded = flush_rows.seed(total_rows(), user, now, timedelta(seconds=LEEWAY))
        started, stop, results = threading.Event(), threading.Event(), []
        thread = threading.Thread(target=refresher, args=(started, stop, results))
        thread.start()
        started.wait(30)
        before = len(results)
        batches = Batches()
        tracemalloc.start()
        try:
            outstanding = store.flush_outstanding(clock.now, on_batch=batches)
            counts = store.flush_expired_counts(clock.now, on_batch=batches)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            stop.set()
            thread.join()
    assert len(results) > before and set(results) == {200}, results[-5:]
    # every expired row went, in batches of at most BATCH rows; the rows inside the leeway stayed
    assert outstanding == seeded["outstanding"]
    assert (counts["rotated"], counts["families"], counts["sessions"]) == (
        seeded["rotated"],
        seeded["families"],
        seeded["sessions"],
    )
    assert flush_rows.remaining() == {
        "outstanding": flush_rows.KEPT,
        "rotated": flush_rows.KEPT,
        "families": flush_rows.KEPT,
        "sessions": flush_rows.KEPT,
        "blacklisted": 0,
    }
    tables = (("outstanding", "outstanding"), ("rotated", "rotated"), ("family", "families"), ("session", "sessions"))
    for fragment, table in tables:
        sizes = batches.of(fragment)
        assert len(sizes) == math.ceil(seeded[table] / BATCH), (fragment, len(sizes))
        assert max(sizes) == min(BATCH, seeded[table]) and sum(sizes) == seeded[table]
    assert max(seconds for _, _, seconds in batches.seen) < 1.0
    # flat memory: a batch of keys at a time, not the table (tracemalloc's peak is far below one MB per 1,000 rows)
    assert peak < 4 * 1024 * 1024, peak


@pytest.mark.django_db
def test_the_commands_and_upstreams_take_a_batch_size(user, clock):
    with simple_jwt(LEEWAY=LEEWAY):
        seeded = flush_rows.seed(200, user, store._dt(clock.now), timedelta(seconds=LEEWAY))
        out = io.StringIO()
        call_command("flush_expired_token_families", "--batch-size", "7", stdout=out)
        assert (
            f"deleted {seeded['rotated']} rotation record(s) and {seeded['families']} revoked token family(ies), "
            f"{seeded['sessions']} session(s)" in out.getvalue()
        )
        # upstream's command name runs ours (routed at startup): the rows within the leeway stay
        call_command("flushexpiredtokens", "--batch-size", "7")
        assert flush_rows.remaining()["outstanding"] == flush_rows.KEPT
        with pytest.raises(CommandError, match="batch-size"):
            call_command("flushexpiredtokens", "--batch-size", "0", stderr=io.StringIO())
        clock.advance(LEEWAY)
        call_command("flushexpiredtokens")
        call_command("flush_expired_token_families", stdout=io.StringIO())
    assert not any(flush_rows.remaining().values())
