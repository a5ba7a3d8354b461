"""The demo project's settings for bench/http_load.py: rotation switched, SQLite set up for two writers.

DEMO_STOCK=1 (the demo's own switch: the project before the migration) for the stock side,
BENCH_ROTATE=0|1, BENCH_DB=<sqlite path>.  Everything else (apps, middleware, lifetimes, the
migration's settings) is the demo's, identical for both.
"""

import os

from demo.settings import *  # noqa: F403
from demo.settings import DATABASES, SIMPLE_JWT

ROTATE = os.environ.get("BENCH_ROTATE", "0") == "1"

DATABASES = {
    "default": {
        **DATABASES["default"],
        "NAME": os.environ["BENCH_DB"],
        # Two gunicorn workers write to one file when rotating: wait for the lock rather than fail.
        # IMMEDIATE: a transaction that reads then writes takes the write lock up front, so it waits
        # (timeout) instead of failing with "database is locked" (Django >= 5.1; same for both sides).
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": os.environ.get("BENCH_SQLITE_TRANSACTION_MODE", "IMMEDIATE"),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

SIMPLE_JWT = {**SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": ROTATE, "BLACKLIST_AFTER_ROTATION": ROTATE}

# Server errors go to gunicorn's log, which bench/http_load.py summarises in the results.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
