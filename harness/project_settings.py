"""The Django settings every test project starts from: a DRF project on djangorestframework-simplejwt (its
blacklist app on), migrated to simplejwt-rs by ``harness.jwt_settings``, with rotation on.

A project's settings module begins with ``from harness.project_settings import *`` and then states only what is
its own: its URLs, its database, its middleware, and what it adds to (or, for tests/clients, replaces in) these
entries.  Each entry that a project extends is rebuilt there (``SIMPLE_JWT = {**SIMPLE_JWT, ...}``), never
changed in place, so that no project sees another's additions.  Tests only: one fixed secret key, and the
fast MD5 password hasher.

The projects: tests/django (pytest's own), tests/asgi/project (uvicorn), tests/browser and tests/clients
(gunicorn), tests/multi (two gunicorn servers).
"""

from __future__ import annotations

from typing import Any

from harness import jwt_settings as migration

SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256-and-then-some-more-bytes"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins; not for production
# The project before the migration; the migration adds "simplejwt_rs" (after any other app the project has).
UPSTREAM_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",  # its translation catalogue
    "rest_framework_simplejwt.token_blacklist",
]
INSTALLED_APPS = [*UPSTREAM_APPS, "simplejwt_rs"]
MIDDLEWARE: list[str] = []
REST_FRAMEWORK: dict[str, Any] = {
    **migration.REST_FRAMEWORK,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SIMPLE_JWT: dict[str, Any] = {
    **migration.SIMPLE_JWT,
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}
