"""Settings for bench/django_paths.py: SQLite in memory, the blacklist app installed, stock simplejwt's SIMPLE_JWT.

Stock ``rest_framework_simplejwt`` binds these at import.  The benchmark times
our classes under ``override_settings(SIMPLE_JWT=OURS)`` (the README's
migration lines), which our code reads per call and upstream's never sees.
"""

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for harness/

from harness import jwt_settings as migration  # noqa: E402

SECRET_KEY = "bench-only-secret-key-0123456789abcdef-0123456789abcdef-0123456789"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only the seeding step hashes
REST_FRAMEWORK = dict(migration.UPSTREAM_REST_FRAMEWORK)

# Shared by both sides.
BASE = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
}
SIMPLE_JWT = dict(BASE)  # stock: every class setting at upstream's default

OURS = {**BASE, **migration.SIMPLE_JWT}  # the migration (harness/jwt_settings.py, as the tests and the demo)
ROTATE = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
