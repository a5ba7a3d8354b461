"""The demo project's settings, switched between stock simplejwt and ours for bench/http.py.

BENCH_SIDE=stock|ours, BENCH_ROTATE=0|1, BENCH_DB=<sqlite path>.  Everything
else (apps, middleware, lifetimes, SQLite) is the demo's, identical for both.
"""

import os

from demo.settings import *  # noqa: F403
from demo.settings import DATABASES, INSTALLED_APPS, REST_FRAMEWORK, SIMPLE_JWT

SIDE = os.environ.get("BENCH_SIDE", "ours")
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

if SIDE == "stock":
    # A project that never installed simplejwt-rs (the database is migrated with it, for the other side).
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "simplejwt_rs"]
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    }
    # Upstream's defaults for every class setting: only the lifetimes stay.
    SIMPLE_JWT = {key: value for key, value in SIMPLE_JWT.items() if "LIFETIME" in key}
elif SIDE != "ours":
    raise ValueError(f"BENCH_SIDE must be stock or ours, not {SIDE!r}")

SIMPLE_JWT = {**SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": ROTATE, "BLACKLIST_AFTER_ROTATION": ROTATE}

# Server errors go to gunicorn's log, which bench/http_load.py summarises in the results.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
