"""Settings for bench/ninja_async.py: one SQLite file, two sides.

BENCH_NINJA_SIDE=ours: simplejwt_rs (POLICY_CACHE on the Redis at BENCH_NINJA_REDIS: revocation enforced; the
near cache with POLICY_NEAR_CACHE_USERS);
BENCH_NINJA_SIDE=ninja-jwt: django-ninja-jwt as its README sets it up (NINJA_JWT, its own token classes).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from harness import jwt_settings as migration  # noqa: E402

SIDE = os.environ.get("BENCH_NINJA_SIDE", "ours")
SECRET_KEY = "bench-ninja-secret-key-0123456789abcdef-0123456789abcdef-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "bench.ninja_urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_NINJA_DB", "")}}
MIDDLEWARE: list[str] = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
if SIDE == "ours":
    INSTALLED_APPS += ["rest_framework", "rest_framework_simplejwt.token_blacklist", "simplejwt_rs"]
    SIMPLE_JWT = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True, **migration.SIMPLE_JWT}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if os.environ.get("BENCH_NINJA_REDIS"):
        CACHES["policy"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BENCH_NINJA_REDIS"],
        }
        SIMPLE_JWT["POLICY_CACHE"] = "policy"
        # The near cache keeps JWTAuth's row next to the user's entry: a warm request reads no row (no hop).
        SIMPLE_JWT["POLICY_NEAR_CACHE_USERS"] = True
else:
    INSTALLED_APPS += ["ninja_extra", "ninja_jwt"]
    NINJA_JWT: dict = {}
