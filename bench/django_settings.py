"""Settings for bench/django_paths.py: SQLite in memory, the blacklist app installed, stock simplejwt's SIMPLE_JWT.

Stock ``rest_framework_simplejwt`` binds these at import.  The benchmark times
our classes under ``override_settings(SIMPLE_JWT=OURS)`` (the README's
migration lines), which our code reads per call and upstream's never sees.
"""

from datetime import timedelta

SECRET_KEY = "bench-only-secret-key-0123456789abcdef-0123456789abcdef-0123456789"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only the seeding step hashes
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"]}

# Shared by both sides.
BASE = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
}
SIMPLE_JWT = dict(BASE)  # stock: every class setting at upstream's default

OURS = {
    **BASE,
    "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken",),
    "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
    "TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "simplejwt_rs.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "simplejwt_rs.serializers.TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSlidingSerializer",
}
ROTATE = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
