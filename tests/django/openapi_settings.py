"""The test project with drf-spectacular (simplejwt-rs[openapi]): tests/django/test_openapi.py generates its schema."""

from tests.django.settings import *  # noqa: F403
from tests.django.settings import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*(app for app in INSTALLED_APPS if app != "django.contrib.admin"), "drf_spectacular"]
ROOT_URLCONF = "tests.django.urls_openapi"
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {"TITLE": "simplejwt-rs test project", "VERSION": "1.0.0"}
