"""A small DRF project that moved from djangorestframework-simplejwt to simplejwt-rs.

The only JWT lines that changed are the "simplejwt_rs...." strings, merged into
REST_FRAMEWORK and SIMPLE_JWT below from harness/jwt_settings.py, which the
tests and the benchmarks use too (the README's "Migrating from simplejwt" lists them).

Environment switches (used by the tests, not needed for `make demo`):
- DEMO_DATABASE_URL=postgres://user@host:port/name: PostgreSQL instead of the SQLite file;
- DEMO_STOCK=1: the same project on stock djangorestframework-simplejwt (the lines before the migration);
- DEMO_REUSE_GRACE_SECONDS=N: SIMPLE_JWT["REFRESH_TOKEN_REUSE_GRACE_SECONDS"].
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The repository root, for harness/ (however the demo is started: manage.py, gunicorn, a test).
if str(BASE_DIR.parents[1]) not in sys.path:
    sys.path.append(str(BASE_DIR.parents[1]))

from harness import database  # noqa: E402
from harness import jwt_settings as migration  # noqa: E402

SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-secret-key-0123456789abcdef-0123456789abcdef-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", BASE_DIR / "demo.sqlite3"),
    }
}
if os.environ.get("DEMO_DATABASE_URL"):
    DATABASES["default"] = database.postgres(os.environ["DEMO_DATABASE_URL"], CONN_MAX_AGE=60)
STOCK = os.environ.get("DEMO_STOCK") == "1"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",  # upstream's translated messages
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",  # system checks, single-use rotation and reuse detection
]
if STOCK:
    INSTALLED_APPS.remove("simplejwt_rs")
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

REST_FRAMEWORK = {
    # The migration: simplejwt_rs's JWTAuthentication where upstream's was.
    **(migration.UPSTREAM_REST_FRAMEWORK if STOCK else migration.REST_FRAMEWORK),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The migration: simplejwt_rs's token classes, serializers and user rule (upstream's defaults before).
    **migration.SIMPLE_JWT,
    # Ours, at its default: a refresh token presented after it was rotated revokes its whole family.
    "REFRESH_TOKEN_REUSE_GRACE_SECONDS": int(os.environ.get("DEMO_REUSE_GRACE_SECONDS", "0")),
}

if STOCK:
    # Before the migration: upstream's defaults for every class and serializer.
    SIMPLE_JWT = migration.before_migration(SIMPLE_JWT)
