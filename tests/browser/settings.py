"""The browser test's project (tests/browser): the cookie transport with its secure defaults, under gunicorn.

Only the access lifetime is short (``BROWSER_ACCESS_SECONDS``, 2 s), so that the page's refresh is exercised
without long waits.  The database is the SQLite file ``BROWSER_DB``.
"""

import os
from datetime import timedelta

from harness.project_settings import *  # noqa: F403  (the test projects' common settings; this project's own follow)
from harness.project_settings import REST_FRAMEWORK, SIMPLE_JWT

ROOT_URLCONF = "tests.browser.urls"
WSGI_APPLICATION = "tests.browser.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BROWSER_DB", ":memory:")}}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
LOGGING = {"version": 1, "disable_existing_loggers": False}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": ["simplejwt_rs.authentication.JWTCookieAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # an API only: no templates
}
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=float(os.environ.get("BROWSER_ACCESS_SECONDS", "2"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=1),
    # Every AUTH_COOKIE* setting at its default: Secure, SameSite=Lax, HttpOnly (browsers treat
    # http://127.0.0.1 as a secure context, so Secure cookies work there without TLS).  BROWSER_SAMESITE=None:
    # the browser attaches the cookies to cross-site requests, and the CSRF check alone must refuse them.
    "AUTH_COOKIE_SAMESITE": os.environ.get("BROWSER_SAMESITE", "Lax"),
}
