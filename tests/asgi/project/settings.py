"""The ASGI test project (tests/asgi): django-ninja and adrf on simplejwt_rs, served by uvicorn.

ASGI_DATABASE_URL=postgres://...: PostgreSQL; otherwise SQLite at ASGI_DB.  ASGI_POLICY_CACHE=redis://...:
POLICY_CACHE on Django's RedisCache.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from harness import database  # noqa: E402
from harness import jwt_settings as migration  # noqa: E402

SECRET_KEY = "asgi-tests-secret-key-0123456789abcdef-0123456789abcdef-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.asgi.project.urls"
ASGI_APPLICATION = "tests.asgi.project.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite's lock wait (seconds): concurrent refreshes queue on the consuming write.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ASGI_DB", ""),
        "OPTIONS": {"timeout": 20},
    }
}
if os.environ.get("ASGI_DATABASE_URL"):
    DATABASES["default"] = database.postgres(os.environ["ASGI_DATABASE_URL"], CONN_MAX_AGE=0)
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",
]
MIDDLEWARE: list[str] = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: logins are not what is measured
LOGGING = {"version": 1, "disable_existing_loggers": False}
REST_FRAMEWORK = {
    **migration.REST_FRAMEWORK,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    **migration.SIMPLE_JWT,
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("ASGI_POLICY_CACHE"):
    CACHES["policy"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["ASGI_POLICY_CACHE"],
    }
    SIMPLE_JWT["POLICY_CACHE"] = "policy"
