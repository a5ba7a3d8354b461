"""The browser test's project (tests/browser): the cookie transport with its secure defaults, under gunicorn.

Only the access lifetime is short (``BROWSER_ACCESS_SECONDS``, 2 s), so that the page's refresh is exercised
without long waits.  The database is the SQLite file ``BROWSER_DB``.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from harness import jwt_settings as migration  # noqa: E402

SECRET_KEY = "browser-test-only-secret-key-0123456789abcdef-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.browser.urls"
WSGI_APPLICATION = "tests.browser.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BROWSER_DB", ":memory:")}}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
LOGGING = {"version": 1, "disable_existing_loggers": False}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["simplejwt_rs.authentication.JWTCookieAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # an API only: no templates
}
SIMPLE_JWT = {
    **migration.SIMPLE_JWT,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=float(os.environ.get("BROWSER_ACCESS_SECONDS", "2"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Every AUTH_COOKIE* setting at its default: Secure, SameSite=Lax, HttpOnly (browsers treat
    # http://127.0.0.1 as a secure context, so Secure cookies work there without TLS).  BROWSER_SAMESITE=None:
    # the browser attaches the cookies to cross-site requests, and the CSRF check alone must refuse them.
    "AUTH_COOKIE_SAMESITE": os.environ.get("BROWSER_SAMESITE", "Lax"),
}
