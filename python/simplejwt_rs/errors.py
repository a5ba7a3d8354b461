"""The Django layer's errors, and how every failure becomes one of upstream's.

``exceptions.py`` holds the core's classes and stays importable without
Django (the Rust module raises them).  This module is the Django side, as
upstream's ``rest_framework_simplejwt.exceptions`` is: our DRF exceptions,
upstream's messages, and the mappings from a core error or a policy refusal
onto upstream's class, message and code.  Nothing else words a token refusal.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exc
from rest_framework_simplejwt import exceptions as up_exc
from rest_framework_simplejwt.exceptions import AuthenticationFailed, DetailDictMixin, TokenError
from rest_framework_simplejwt.utils import format_lazy

from . import exceptions as core_exc

# simplejwt 5.4.x and earlier say "Token is invalid or expired" and have no
# expired-token classes; 5.5 split them.  Follow whichever is installed.
SPLIT_EXPIRED = hasattr(up_exc, "TokenBackendExpiredToken")
MSG_INVALID = _("Token is invalid") if SPLIT_EXPIRED else _("Token is invalid or expired")
MSG_EXPIRED = _("Token is expired") if SPLIT_EXPIRED else _("Token is invalid or expired")
ExpiredBackendError: type[up_exc.TokenBackendError] = getattr(
    up_exc, "TokenBackendExpiredToken", up_exc.TokenBackendError
)
ExpiredTokenError: type[TokenError] = getattr(up_exc, "ExpiredTokenError", TokenError)


def invalid() -> TokenError:
    """Upstream's "Token is invalid" for a token whose content we cannot use."""
    return TokenError(MSG_INVALID)


def expired() -> TokenError:
    """Upstream's "Token is expired" (5.5's ExpiredTokenError where it exists)."""
    return ExpiredTokenError(MSG_EXPIRED)


def blacklisted() -> TokenError:
    return TokenError(_("Token is blacklisted"))


def no_type() -> TokenError:
    return TokenError(_("Token has no type"))


def wrong_type() -> TokenError:
    return TokenError(_("Token has wrong type"))


def no_id() -> TokenError:
    return TokenError(_("Token has no id"))


def backend_error(exc: core_exc.JWTError) -> up_exc.TokenBackendError:
    """A core error as upstream's ``TokenBackend.decode`` raises it."""
    if isinstance(exc, core_exc.InvalidAlgorithmError):
        return up_exc.TokenBackendError(_("Invalid algorithm specified"))
    if isinstance(exc, core_exc.ExpiredTokenError):
        return ExpiredBackendError(MSG_EXPIRED)
    return up_exc.TokenBackendError(MSG_INVALID)


def token_error(exc: core_exc.JWTError, type_claim: str | None, jti_claim: str | None) -> TokenError:
    """A core error as upstream's ``Token.__init__``/``verify()`` raises it for the same fault."""
    if isinstance(exc, core_exc.MissingClaimError):
        if exc.claim == type_claim:
            return no_type()
        if exc.claim == jti_claim:
            return no_id()
        if exc.claim == "exp":
            return TokenError(format_lazy(_("Token has no '{}' claim"), "exp"))
    if isinstance(exc, core_exc.WrongTokenTypeError):
        return wrong_type()
    if isinstance(exc, core_exc.ExpiredTokenError):
        return ExpiredTokenError(MSG_EXPIRED)
    return invalid()


# --- refresh-token rotation (see store.py) ------------------------------------------------------


class TokenReused(AuthenticationFailed):
    default_detail = _("This refresh token was already used; every token of its family is now revoked.")
    default_code = "token_reused"


class TokenFamilyRevoked(AuthenticationFailed):
    # Access and refresh tokens alike carry the family.
    default_detail = _("This token belongs to a revoked token family.")
    default_code = "token_family_revoked"


class TokenAlreadyRotated(AuthenticationFailed):
    default_detail = _("This refresh token was just rotated; use the refresh token it was exchanged for.")
    default_code = "token_already_rotated"


class TokenStoreBusy(DetailDictMixin, drf_exc.APIException):
    """The database could not take the write in time (SQLite's "database is locked", a lock timeout, a deadlock).

    Nothing was consumed: the transaction rolled back, so the same refresh
    token can be retried (``Retry-After: 1``).  Body ``{"detail", "code"}``.
    """

    status_code = 503
    default_detail = _("The token store is busy; retry the request.")
    default_code = "token_store_busy"
    wait = 1  # DRF's exception handler turns this into a Retry-After header


class DatabaseUnavailable(DetailDictMixin, drf_exc.APIException):
    """The database cannot be reached (down, restarting, the connection dropped): nothing was written.

    Every endpoint and authentication class answers it alike (see ``store.database_guard``).
    """

    status_code = 503
    default_detail = _("The database is unavailable; retry the request.")
    default_code = "database_unavailable"
    wait = 1


# --- the user policy (see policy.py) ----------------------------------------------------------

DELETED = "deleted"
INACTIVE = "inactive"
PASSWORD_CHANGED = "password_changed"
RULE_REFUSED = "rule_refused"


class Refuse(Exception):
    """Raised by a ``USER_AUTHENTICATION_RULE`` to refuse a user with its own message and DRF error code.

    The 401 at obtain, refresh, sliding refresh, verify and authenticate then
    carries ``message`` and ``code`` (``{"detail": message, "code": code}``);
    a rule that returns a falsy value keeps upstream's codes.
    """

    def __init__(self, message: Any, code: str = "user_refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class UserRefused(Exception):
    """The policy refused the user a token names; ``reason`` is one of the constants above.

    ``refusal`` is the rule's own :class:`Refuse`, when it raised one.
    """

    def __init__(self, reason: str, user: Any = None, refusal: Refuse | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.refusal = refusal


def rule_error(refusal: Refuse) -> AuthenticationFailed:
    """A rule's own refusal, worded as the rule chose, at every entry point."""
    return AuthenticationFailed(refusal.message, code=refusal.code)


def token_endpoint_error(refused: UserRefused) -> drf_exc.AuthenticationFailed:
    """How the token views (refresh, sliding refresh, verify, logout) word a refusal: always 401."""
    if refused.refusal is not None:
        return rule_error(refused.refusal)
    if refused.reason == PASSWORD_CHANGED:
        return AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    # Upstream 5.4+'s refresh wording, for the deleted user too (5.5 answers that with a 404/500).
    return drf_exc.AuthenticationFailed(_("No active account found for the given token."), "no_active_account")


def request_error(refused: UserRefused) -> drf_exc.AuthenticationFailed:
    """How JWTAuthentication words a refusal: upstream's messages and codes."""
    if refused.refusal is not None:
        return rule_error(refused.refusal)
    if refused.reason == DELETED:
        return AuthenticationFailed(_("User not found"), code="user_not_found")
    if refused.reason == INACTIVE:
        return AuthenticationFailed(_("User is inactive"), code="user_inactive")
    return AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
