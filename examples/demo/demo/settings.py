"""A small DRF project that moved from djangorestframework-simplejwt to simplejwt-rs.

The only JWT lines that changed are the "simplejwt_rs...." strings below.

Environment switches (used by the tests, not needed for `make demo`):
- DEMO_DATABASE_URL=postgres://user@host:port/name: PostgreSQL instead of the SQLite file;
- DEMO_STOCK=1: the same project on stock djangorestframework-simplejwt (the lines before the migration);
- DEMO_REUSE_GRACE_SECONDS=N: SIMPLE_JWT["REFRESH_TOKEN_REUSE_GRACE_SECONDS"].
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
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
    _url = urlsplit(os.environ["DEMO_DATABASE_URL"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
        "CONN_MAX_AGE": 60,
    }
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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication"
        if STOCK
        else "simplejwt_rs.authentication.JWTAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The migration: these strings used to say "rest_framework_simplejwt".
    "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken",),
    "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
    "TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "simplejwt_rs.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "simplejwt_rs.serializers.TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSlidingSerializer",
    # Ours, at its default: a refresh token presented after it was rotated revokes its whole family.
    "REFRESH_TOKEN_REUSE_GRACE_SECONDS": int(os.environ.get("DEMO_REUSE_GRACE_SECONDS", "0")),
}

if STOCK:
    # Before the migration: upstream's defaults for every class and serializer.
    SIMPLE_JWT = {
        key: value
        for key, value in SIMPLE_JWT.items()
        if not (isinstance(value, (str, tuple)) and "simplejwt_rs" in str(value))
        and not key.startswith("REFRESH_TOKEN_REUSE")
    }
