"""The ASGI test project (tests/asgi): django-ninja and adrf on simplejwt_rs, served by uvicorn.

ASGI_DATABASE_URL=postgres://...: PostgreSQL; otherwise SQLite at ASGI_DB.  ASGI_POLICY_CACHE=redis://...:
POLICY_CACHE on Django's RedisCache.
"""

import os

from harness import database
from harness.project_settings import *  # noqa: F403  (the test projects' common settings; this project's own follow)
from harness.project_settings import SIMPLE_JWT

ROOT_URLCONF = "tests.django.urls_ninja"  # the routes tests/django/test_ninja.py tests in process
ASGI_APPLICATION = "tests.asgi.project.asgi.application"
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
LOGGING = {"version": 1, "disable_existing_loggers": False}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("ASGI_POLICY_CACHE"):
    CACHES["policy"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["ASGI_POLICY_CACHE"],
    }
    SIMPLE_JWT = {**SIMPLE_JWT, "POLICY_CACHE": "policy"}
