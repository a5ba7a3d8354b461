"""The one user policy, applied at obtain, refresh, sliding refresh, verify and authenticate.

Upstream applies ``USER_AUTHENTICATION_RULE`` at obtain (and, from 5.4, at
refresh), only ``is_active`` when authenticating a request, and nothing at
verify.  Every entry point here asks :func:`token_user` (or :func:`allows`
for a freshly authenticated user) and only chooses how to word a refusal.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exc
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.utils import get_md5_hash_password

from .settings import get, get_ours

DELETED = "deleted"
INACTIVE = "inactive"
PASSWORD_CHANGED = "password_changed"


class UserRefused(Exception):
    """The policy refused the user a token names; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, user: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


def default_user_authentication_rule(user: Any) -> bool:
    """Upstream's default rule, with 5.4's ``CHECK_USER_IS_ACTIVE`` on every release."""
    return user is not None and (not get("CHECK_USER_IS_ACTIVE") or bool(user.is_active))


def allows(user: Any) -> bool:
    """``USER_AUTHENTICATION_RULE(user)``; ``user`` may be None (failed credentials)."""
    return bool(get_ours("USER_AUTHENTICATION_RULE")(user))


def token_user(claims: dict[str, Any]) -> Any:
    """Apply the policy to the user a verified token names.

    Returns the user, or None when the token names no user (nothing to check).
    Raises :class:`UserRefused` when the user is gone, fails the rule, or (with
    ``CHECK_REVOKE_TOKEN``) changed password since the token was issued.
    """
    user_id = claims.get(get("USER_ID_CLAIM"))
    if user_id is None:
        return None
    User = get_user_model()
    try:
        user = User.objects.get(**{get("USER_ID_FIELD"): user_id})
    except (User.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        # A claim of the wrong type for the id field is as unknown as a deleted user.
        raise UserRefused(DELETED) from exc
    if not allows(user):
        raise UserRefused(INACTIVE, user)
    if get("CHECK_REVOKE_TOKEN") and claims.get(get("REVOKE_TOKEN_CLAIM")) != get_md5_hash_password(user.password):
        raise UserRefused(PASSWORD_CHANGED, user)
    return user


def token_endpoint_error(refused: UserRefused) -> drf_exc.AuthenticationFailed:
    """How the token views (refresh, sliding refresh, verify) word a refusal: always 401."""
    if refused.reason == PASSWORD_CHANGED:
        return AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    # Upstream 5.4+'s refresh wording, for the deleted user too (5.5 answers that with a 404/500).
    return drf_exc.AuthenticationFailed(_("No active account found for the given token."), "no_active_account")


def request_error(refused: UserRefused) -> drf_exc.AuthenticationFailed:
    """How JWTAuthentication words a refusal: upstream's messages and codes."""
    if refused.reason == DELETED:
        return AuthenticationFailed(_("User not found"), code="user_not_found")
    if refused.reason == INACTIVE:
        return AuthenticationFailed(_("User is inactive"), code="user_inactive")
    return AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
