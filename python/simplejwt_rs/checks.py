"""System checks for risky SIMPLE_JWT configuration (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, Warning, register
from rest_framework_simplejwt.exceptions import TokenBackendError

from . import exceptions as core_exc
from .backends import token_backend
from .settings import blacklist_installed, get, rotation_store_installed

# RFC 7518 section 3.2: an HMAC key must be at least as long as the hash output.
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    algorithm = get("ALGORITHM")
    signing_key = get("SIGNING_KEY")

    if algorithm in HMAC_MIN_BYTES:
        key = signing_key.encode() if isinstance(signing_key, str) else (signing_key or b"")
        if len(key) < HMAC_MIN_BYTES[algorithm]:
            messages.append(
                Warning(
                    f"SIMPLE_JWT['SIGNING_KEY'] is {len(key)} bytes; {algorithm} needs at least "
                    f"{HMAC_MIN_BYTES[algorithm]} to resist brute force.",
                    hint="Use a random key of at least the hash length, e.g. secrets.token_urlsafe(64).",
                    id="simplejwt_rs.W001",
                )
            )
    elif not get("VERIFYING_KEY") and not get("JWK_URL"):
        messages.append(
            Error(
                f"SIMPLE_JWT['ALGORITHM'] is {algorithm} but neither VERIFYING_KEY nor JWK_URL is set: "
                "no token can be verified.",
                hint="Set VERIFYING_KEY to the public key (PEM or JWK) matching SIGNING_KEY.",
                id="simplejwt_rs.E002",
            )
        )

    if get("BLACKLIST_AFTER_ROTATION") and not blacklist_installed():
        messages.append(
            Warning(
                "SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] is on but rest_framework_simplejwt.token_blacklist "
                "is not in INSTALLED_APPS, so rotated refresh tokens stay usable.",
                hint="Add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS and migrate.",
                id="simplejwt_rs.W003",
            )
        )

    if get("ROTATE_REFRESH_TOKENS") and get("BLACKLIST_AFTER_ROTATION") and blacklist_installed():
        if get("JTI_CLAIM") is None:
            messages.append(
                Warning(
                    "SIMPLE_JWT['JTI_CLAIM'] is None, so a rotated refresh token cannot be told apart from "
                    "another: single-use rotation and reuse detection are impossible.",
                    hint="Leave JTI_CLAIM at its default ('jti').",
                    id="simplejwt_rs.W005",
                )
            )
        elif not rotation_store_installed():
            messages.append(
                Warning(
                    "Refresh tokens rotate with BLACKLIST_AFTER_ROTATION, but 'simplejwt_rs' is not in "
                    "INSTALLED_APPS: rotation stays single-use, but a reused refresh token does not revoke "
                    "its token family.",
                    hint="Add 'simplejwt_rs' to INSTALLED_APPS and run migrate.",
                    id="simplejwt_rs.W006",
                )
            )
        elif get("REFRESH_TOKEN_REUSE_DETECTION") is not False and not get("TOKEN_FAMILY_CLAIM"):
            messages.append(
                Warning(
                    "SIMPLE_JWT['TOKEN_FAMILY_CLAIM'] is empty, so tokens carry no family: a reused refresh "
                    "token only revokes the token it was exchanged for, not the rest of its family.",
                    hint="Leave TOKEN_FAMILY_CLAIM at its default ('token_family').",
                    id="simplejwt_rs.W007",
                )
            )

    # With JWK_URL the verifying keys come from the set; a SIGNING_KEY left at SECRET_KEY is fine then.
    if not get("JWK_URL") and not any(message.id == "simplejwt_rs.E002" for message in messages):
        try:
            token_backend().codec  # noqa: B018  (building it prepares and validates the keys)
        except (core_exc.JWTError, TokenBackendError, ValueError, TypeError) as exc:
            messages.append(Error(f"SIMPLE_JWT keys cannot be used with {algorithm}: {exc}", id="simplejwt_rs.E004"))
    return messages
