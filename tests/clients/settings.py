"""A dj-rest-auth 7.1.1 project in JWT cookie mode, with simplejwt_rs installed and PATCH_UPSTREAM_CLASSES on.

What such a project has: dj-rest-auth's URLs and its ``JWTCookieAuthentication``
(a subclass of upstream's ``JWTAuthentication``), no simplejwt class strings of
ours (dj-rest-auth names upstream's classes itself), and two lines for us:
``"simplejwt_rs"`` in INSTALLED_APPS and ``"PATCH_UPSTREAM_CLASSES": True``.
SQLite in a file, so that threads and gunicorn workers share it.
"""

import os
import tempfile

SECRET_KEY = "clients-test-secret-key-that-is-long-enough-for-hs256-and-more"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "tests.clients.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
_DB = os.environ.get("CLIENTS_DB", os.path.join(tempfile.gettempdir(), f"simplejwt-rs-clients-{os.getpid()}.sqlite3"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _DB,
        "TEST": {"NAME": _DB + ".test"},
        "OPTIONS": {"timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests; not for production
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "dj_rest_auth",
    "simplejwt_rs",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
LANGUAGE_CODE = "en-us"
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
