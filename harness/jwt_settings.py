"""The migration as settings: what a project on djangorestframework-simplejwt changes to run on simplejwt-rs.

Each string below used to say ``rest_framework_simplejwt`` (or was upstream's default); the README's
"Migrating from simplejwt" section lists the same lines.  The tests, the demo and the benchmarks all
take them from here, so that what is tested is what is demonstrated and measured.
"""

from __future__ import annotations

from typing import Any

from simplejwt_rs import registry

UPSTREAM_AUTHENTICATION = "rest_framework_simplejwt.authentication.JWTAuthentication"
AUTHENTICATION = registry.ours_of(UPSTREAM_AUTHENTICATION)

# REST_FRAMEWORK entries; a project merges them into its own.
REST_FRAMEWORK: dict[str, Any] = {"DEFAULT_AUTHENTICATION_CLASSES": [AUTHENTICATION]}
UPSTREAM_REST_FRAMEWORK: dict[str, Any] = {"DEFAULT_AUTHENTICATION_CLASSES": [UPSTREAM_AUTHENTICATION]}

# SIMPLE_JWT entries; a project merges them into its own (upstream's defaults name upstream's classes).  The
# classes of ours are the registry's (simplejwt_rs.registry: one list of upstream's classes and ours).
SIMPLE_JWT: dict[str, Any] = {
    "AUTH_TOKEN_CLASSES": (registry.ours_of("rest_framework_simplejwt.tokens.AccessToken"),),
    "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
    **{view.setting: view.serializer for view in registry.VIEWS},
}

# Settings only simplejwt-rs reads, which a project on upstream would not have.
OURS_ONLY = ("REFRESH_TOKEN_REUSE_DETECTION", "REFRESH_TOKEN_REUSE_GRACE_SECONDS")


def before_migration(simple_jwt: dict[str, Any]) -> dict[str, Any]:
    """``simple_jwt`` as it was before the migration: without our class strings and our own settings."""
    return {key: value for key, value in simple_jwt.items() if key not in SIMPLE_JWT and key not in OURS_ONLY}
