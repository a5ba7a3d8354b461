"""The migration as settings: what a project on djangorestframework-simplejwt changes to run on simplejwt-rs.

Each string below used to say ``rest_framework_simplejwt`` (or was upstream's default); the README's
"Migrating from simplejwt" section lists the same lines.  The tests, the demo and the benchmarks all
take them from here, so that what is tested is what is demonstrated and measured.
"""

from __future__ import annotations

from typing import Any

UPSTREAM_AUTHENTICATION = "rest_framework_simplejwt.authentication.JWTAuthentication"
AUTHENTICATION = "simplejwt_rs.authentication.JWTAuthentication"

# REST_FRAMEWORK entries; a project merges them into its own.
REST_FRAMEWORK: dict[str, Any] = {"DEFAULT_AUTHENTICATION_CLASSES": [AUTHENTICATION]}
UPSTREAM_REST_FRAMEWORK: dict[str, Any] = {"DEFAULT_AUTHENTICATION_CLASSES": [UPSTREAM_AUTHENTICATION]}

# SIMPLE_JWT entries; a project merges them into its own (upstream's defaults name upstream's classes).
SIMPLE_JWT: dict[str, Any] = {
    "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken",),
    "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
    "TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "simplejwt_rs.serializers.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "simplejwt_rs.serializers.TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "simplejwt_rs.serializers.TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSlidingSerializer",
}

# Settings only simplejwt-rs reads, which a project on upstream would not have.
OURS_ONLY = ("REFRESH_TOKEN_REUSE_DETECTION", "REFRESH_TOKEN_REUSE_GRACE_SECONDS")


def before_migration(simple_jwt: dict[str, Any]) -> dict[str, Any]:
    """``simple_jwt`` as it was before the migration: without our class strings and our own settings."""
    return {key: value for key, value in simple_jwt.items() if key not in SIMPLE_JWT and key not in OURS_ONLY}
