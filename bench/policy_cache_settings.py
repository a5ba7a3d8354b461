"""The project bench/policy_cache.py serves: one protected GET, PostgreSQL, and (ours) POLICY_CACHE on Redis.

BENCH_SIDE picks the authentication class:
  stock-db         rest_framework_simplejwt JWTAuthentication (a user query per request)
  stock-stateless  rest_framework_simplejwt JWTStatelessUserAuthentication (no query, no policy)
  ours-db          simplejwt_rs JWTAuthentication with POLICY_CACHE
  ours-stateless   simplejwt_rs JWTStatelessUserAuthentication with POLICY_CACHE
DATABASE_URL (postgres://) and REDIS_URL come from bench/policy_cache.py.  A request with the header
``X-Count-Queries`` is answered with ``X-Queries`` (how many SQL queries it made); others are not counted.
"""

import os

from harness import database
from harness import jwt_settings as migration

SIDE = os.environ["BENCH_SIDE"]
OURS = SIDE.startswith("ours")
STATELESS = SIDE.endswith("stateless")

SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256-and-then-some-more"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "policy_cache_urls"
# Persistent connections on every side.
DATABASES = {"default": database.postgres(os.environ["DATABASE_URL"], CONN_MAX_AGE=600)}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "policy": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    *(["simplejwt_rs"] if OURS else []),
]
MIDDLEWARE = ["policy_cache_urls.count_queries"]
_class = f"{'simplejwt_rs' if OURS else 'rest_framework_simplejwt'}.authentication." + (
    "JWTStatelessUserAuthentication" if STATELESS else "JWTAuthentication"
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [_class],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
_rotation = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
SIMPLE_JWT = {**migration.SIMPLE_JWT, **_rotation, "POLICY_CACHE": "policy"} if OURS else dict(_rotation)
