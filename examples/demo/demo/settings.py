"""A small DRF project that moved from djangorestframework-simplejwt to simplejwt-rs.

The only JWT lines that changed are the "simplejwt_rs...." strings below.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-secret-key-0123456789abcdef-0123456789abcdef-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", BASE_DIR / "demo.sqlite3"),
    }
}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",  # upstream's translated messages
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",  # system checks
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["simplejwt_rs.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The migration: these strings used to say "rest_framework_simplejwt".
    "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken",),
    "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
    "TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "simplejwt_rs.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "simplejwt_rs.serializers.TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSlidingSerializer",
}
