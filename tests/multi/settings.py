"""The multi-server project: two gunicorn servers sharing PostgreSQL and Redis (tests/multi/test_multi_server.py).

DATABASE_URL (postgres://) and REDIS_URL come from the test, which starts both (scripts/postgres.sh,
scripts/redis.sh).  Every server answers ``X-Queries`` (the SQL queries the request made).

MULTI_SIMPLE_JWT (optional): a JSON object merged into SIMPLE_JWT, a ``*_LIFETIME`` as a number of seconds;
tests/multi/test_key_rotation.py gives each server its KEYS (and lifetimes, JWK_URL) this way.
"""

import json
import os
from datetime import timedelta

from harness import database
from harness.project_settings import *  # noqa: F403  (the test projects' common settings; this project's own follow)
from harness.project_settings import SIMPLE_JWT

ROOT_URLCONF = "tests.multi.urls"
DATABASES = {"default": database.postgres(os.environ["DATABASE_URL"], CONN_MAX_AGE=60)}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "policy": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        # A stopped Redis refuses at once; a hung one must not hold a request for long.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    },
}
MIDDLEWARE = ["tests.multi.urls.count_queries"]
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "CHECK_REVOKE_TOKEN": True,
    "USER_AUTHENTICATION_RULE": "tests.multi.urls.not_locked",
    "POLICY_CACHE": "policy",
}
SIMPLE_JWT.update(
    (name, timedelta(seconds=value) if name.endswith("_LIFETIME") else value)
    for name, value in json.loads(os.environ.get("MULTI_SIMPLE_JWT", "{}")).items()
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "simplejwt_rs": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR"},  # a 500's traceback
    },
}
