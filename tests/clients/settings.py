"""A dj-rest-auth 7.1.1 project in JWT cookie mode, with simplejwt_rs installed and PATCH_UPSTREAM_CLASSES on.

What such a project has: dj-rest-auth's URLs and its ``JWTCookieAuthentication``
(a subclass of upstream's ``JWTAuthentication``), no simplejwt class strings of
ours (dj-rest-auth names upstream's classes itself), and two lines for us:
``"simplejwt_rs"`` in INSTALLED_APPS and ``"PATCH_UPSTREAM_CLASSES": True``.
SQLite in a file, so that threads and gunicorn workers share it.
"""

import os
import tempfile

from harness.project_settings import *  # noqa: F403  (the test projects' common settings; this project's own follow)
from harness.project_settings import ALLOWED_HOSTS, UPSTREAM_APPS

ROOT_URLCONF = "tests.clients.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
_DB = os.environ.get("CLIENTS_DB", os.path.join(tempfile.gettempdir(), f"simplejwt-rs-clients-{os.getpid()}.sqlite3"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _DB,
        "TEST": {"NAME": _DB + ".test"},
        "OPTIONS": {"timeout": 20},
    }
}
INSTALLED_APPS = [*UPSTREAM_APPS, "dj_rest_auth", "simplejwt_rs"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
# dj-rest-auth's class, and no simplejwt class strings of ours: the migration's entries are not here.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["dj_rest_auth.jwt_auth.JWTCookieAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
ACCESS_COOKIE = "app-auth"
REFRESH_COOKIE = "app-refresh"
REST_AUTH = {
    "USE_JWT": True,
    "JWT_AUTH_COOKIE": ACCESS_COOKIE,
    "JWT_AUTH_REFRESH_COOKIE": REFRESH_COOKIE,
    "JWT_AUTH_HTTPONLY": True,
    "SESSION_LOGIN": False,
    "TOKEN_MODEL": None,
}
SIMPLE_JWT = {
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_AUTHENTICATION_RULE": "tests.clients.rules.not_locked",
    "PATCH_UPSTREAM_CLASSES": os.environ.get("PATCH_UPSTREAM_CLASSES", "1") == "1",
}
