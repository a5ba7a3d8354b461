"""The flush commands on 1,000,000 expired rows, on a throwaway PostgreSQL, while refreshes keep running.

Rows (harness/flush_rows.py) are spread over upstream's outstanding and blacklist tables and ours (rotation
records, revoked families, sessions).  ``flushexpiredtokens`` (routed to ours) and
``flush_expired_token_families`` run in a child process whose peak RSS is read from the kernel
(``wait4``); meanwhile this process refreshes one token chain in a loop, over Django's test client against
the same database.  Reports rows/s, the child's peak RSS, the longest batch (one transaction: the longest
any statement held its locks) and the refresh p50/p99 during the flush.

    .venv-bench/bin/python bench/flush.py      (writes docs/benchmarks/flush.json; FLUSH_ROWS to change 1M)

``PYTHONPATH=$PWD/python`` in front measures the working tree's Python (as bench/policy_cache.py).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # common.py; harness/ and tests/ (the Django settings)

ROWS = int(os.environ.get("FLUSH_ROWS", "1000000"))
BATCH = int(os.environ.get("FLUSH_BATCH", "1000"))
LEEWAY = 300


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")
    import django
    from django.conf import settings
    from django.test import override_settings

    django.setup()
    changes = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True, "LEEWAY": LEEWAY}
    changes["FLUSH_BATCH_SIZE"] = BATCH
    override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, **changes}).enable()  # sends setting_changed


def child() -> None:
    """The flush, as a cron job runs it: both commands, every batch timed; prints JSON on stdout."""
    setup_django()
    from simplejwt_rs import settings as jwt_settings
    from simplejwt_rs import store

    batches: list[tuple[str, int, float]] = []
    started = time.perf_counter()
    outstanding = store.flush_outstanding(jwt_settings.now(), on_batch=lambda *batch: batches.append(batch))
    counts = store.flush_expired_counts(jwt_settings.now(), on_batch=lambda *batch: batches.append(batch))
    seconds = time.perf_counter() - started
    json.dump(
        {
            "outstanding": outstanding,
            **counts,
            "seconds": seconds,
            "batches": len(batches),
            "longest_batch_ms": max(batch[2] for batch in batches) * 1000,
        },
        sys.stdout,
    )


def main() -> None:
    from common import machine, write_json

    from harness.server import free_port

    directory = tempfile.mkdtemp(prefix="simplejwt-rs-bench-flush-")
    url = (
        subprocess.run(
            [str(ROOT / "scripts" / "postgres.sh"), "start", directory, str(free_port())],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    os.environ["DATABASE_URL"] = url
    try:
        setup_django()
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connections
        from rest_framework.test import APIClient
        from simplejwt_rs import settings as jwt_settings
        from simplejwt_rs import store

        from harness import flush_rows

        call_command("migrate", verbosity=0)
        user = User.objects.create_user("alice", password="correct horse battery staple")
        started = time.perf_counter()
        flush_rows.seed(ROWS, user, store._dt(jwt_settings.now()), timedelta(seconds=LEEWAY))
        with connections["default"].cursor() as cursor:
            cursor.execute("ANALYZE")
        before = flush_rows.remaining()
        print(f"seeded {sum(before.values())} rows in {time.perf_counter() - started:.1f} s", flush=True)

        api = APIClient()
        token = api.post("/api/token/", {"username": "alice", "password": "correct horse battery staple"}).data[
            "refresh"
        ]
        latencies: list[float] = []
        failures: list[int] = []
        stop = threading.Event()

        def refresher() -> None:
            nonlocal token
            try:
                while not stop.is_set():
                    begun = time.perf_counter()
                    response = api.post("/api/token/refresh/", {"refresh": token})
                    latencies.append(time.perf_counter() - begun)
                    if response.status_code != 200:
                        failures.append(response.status_code)
                        return
                    token = response.data["refresh"]
            finally:
                connections.close_all()

        thread = threading.Thread(target=refresher)
        thread.start()
        process = subprocess.Popen([sys.executable, __file__, "--child"], stdout=subprocess.PIPE)
        assert process.stdout is not None
        output = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        stop.set()
        thread.join()
        if status != 0:
            raise SystemExit(f"the flush failed (status {status})")
        flush = json.loads(output)
        after = flush_rows.remaining()
        flush["rows_deleted"] = sum(before.values()) - sum(after.values())  # blacklist entries included
        latencies.sort()
        result = {
            "machine": machine(),
            "rows_seeded": sum(before.values()),
            "seeded": before,
            "batch_size": BATCH,
            **flush,
            "rows_per_second": round(flush["rows_deleted"] / flush["seconds"]),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
            "refreshes_during_flush": len(latencies),
            "refresh_failures": failures,
            "refresh_p50_ms": round(statistics.median(latencies) * 1000, 2),
            "refresh_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2),
            "rows_left": after,  # expired inside the leeway: a token they concern still decodes
        }
        path = write_json("flush", result)
        for key in (
            "rows_deleted",
            "seconds",
            "rows_per_second",
            "peak_rss_mb",
            "batches",
            "longest_batch_ms",
            "refreshes_during_flush",
            "refresh_failures",
            "refresh_p50_ms",
            "refresh_p99_ms",
            "rows_left",
        ):
            print(f"{key}: {result[key]}")
        print(f"-> {path.relative_to(ROOT)}")
    finally:
        connections_close()
        subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop", directory], check=False)


def connections_close() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001  (Django never set up)
        pass


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
