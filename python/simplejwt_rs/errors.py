"""The Django layer's errors, and how every failure becomes one of upstream's.

``exceptions.py`` holds the core's classes and stays importable without
Django (the Rust module raises them).  This module is the Django side, as
upstream's ``rest_framework_simplejwt.exceptions`` is: our DRF exceptions,
upstream's messages, and the mappings from a core error or a policy refusal
onto upstream's class, message and code.  Nothing else words a token refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exc
from rest_framework_simplejwt import exceptions as up_exc
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
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


# --- the refusals: one class, one table of codes ----------------------------------------------------


class Refused(AuthenticationFailed):
    """A refusal of ours: the body is ``{"detail": ..., "code": ...}`` and ``get_codes()`` the code alone.

    Upstream's ``AuthenticationFailed`` (our base, so ``except`` clauses naming it or DRF's still
    match) answers the same body, but its ``get_codes()`` is a dict; upstream's token endpoints
    raise DRF's class, whose body has no code but whose ``get_codes()`` is the plain code, and
    simplejwt 6.0 tests for that (``"password_changed"``).  This answers both.  Every code raised
    through it is listed in :data:`CODES`.
    """

    default_code = "authentication_failed"

    def __init__(self, detail: Any = None, code: str | None = None) -> None:
        self.code = code or self.default_code
        # DRF's own __init__ (not upstream's mixin): each value becomes an ErrorDetail carrying our code.
        body = {"detail": self.default_detail if detail is None else detail, "code": self.code}
        drf_exc.AuthenticationFailed.__init__(self, body, self.code)

    def get_codes(self) -> Any:
        return self.code


class TokenReused(Refused):
    default_detail = _("This refresh token was already used; every token of its family is now revoked.")
    default_code = "token_reused"


class TokenFamilyRevoked(Refused):
    # Access and refresh tokens alike carry the family.
    default_detail = _("This token belongs to a revoked token family.")
    default_code = "token_family_revoked"


class TokenAlreadyRotated(Refused):
    default_detail = _("This refresh token was just rotated; use the refresh token it was exchanged for.")
    default_code = "token_already_rotated"


class Unavailable(drf_exc.APIException):
    """A 503 the client may retry (``Retry-After: 1``): body ``{"detail", "code"}``, ``get_codes()`` the code."""

    status_code = 503
    wait = 1  # DRF's exception handler turns this into a Retry-After header

    def __init__(self, detail: Any = None, code: str | None = None) -> None:
        self.code = code or self.default_code
        super().__init__({"detail": self.default_detail if detail is None else detail, "code": self.code}, self.code)

    def get_codes(self) -> Any:
        return self.code


class TokenStoreBusy(Unavailable):
    """The database could not take the write in time (SQLite's "database is locked", a lock timeout, a deadlock).

    Nothing was consumed: the transaction rolled back, so the same refresh
    token can be retried.
    """

    default_detail = _("The token store is busy; retry the request.")
    default_code = "token_store_busy"


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached (down, restarting, the connection dropped): nothing was written.

    Every endpoint and authentication class answers it alike (see ``store.database_guard``).
    """

    default_detail = _("The database is unavailable; retry the request.")
    default_code = "database_unavailable"


# --- the user policy (see policy.py) ----------------------------------------------------------

DELETED = "deleted"
INACTIVE = "inactive"
PASSWORD_CHANGED = "password_changed"
RULE_REFUSED = "rule_refused"


class Refuse(Exception):
    """Raised by a ``USER_AUTHENTICATION_RULE`` to refuse a user with its own message and DRF error code.

    The 401 at obtain, refresh, sliding refresh, verify and authenticate then
    carries ``message`` and ``code`` (``{"detail": message, "code": code}``);
    a rule that returns a falsy value keeps upstream's codes.  Without a
    message, a translated "This account is not allowed to sign in." is used.
    """

    default_message = _("This account is not allowed to sign in.")

    def __init__(self, message: Any = None, code: str = "user_refused") -> None:
        message = self.default_message if message is None else message
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


def rule_error(refusal: Refuse) -> Refused:
    """A rule's own refusal, worded as the rule chose, at every entry point."""
    return Refused(refusal.message, code=refusal.code)


def obtain_error(message: Any) -> Refused:
    """Obtain refused (wrong credentials, or the rule said no): the serializer's ``no_active_account`` message."""
    return Refused(message, "no_active_account")


def token_endpoint_error(refused: UserRefused) -> Refused:
    """How the token views (refresh, sliding refresh, verify, logout) word a refusal: always 401."""
    if refused.refusal is not None:
        return rule_error(refused.refusal)
    if refused.reason == PASSWORD_CHANGED:
        return Refused(_("The user's password has been changed."), "password_changed")
    # Upstream 5.4+'s refresh wording, for the deleted user too (5.5 answers that with a 404/500).
    return Refused(_("No active account found for the given token."), "no_active_account")


def request_error(refused: UserRefused) -> Refused:
    """How JWTAuthentication words a refusal: upstream's messages and codes."""
    if refused.refusal is not None:
        return rule_error(refused.refusal)
    if refused.reason == DELETED:
        return Refused(_("User not found"), "user_not_found")
    if refused.reason == INACTIVE:
        return Refused(_("User is inactive"), "user_inactive")
    return Refused(_("The user's password has been changed."), "password_changed")


# --- every code a refusal carries, in one table --------------------------------------------------

# The entry points, as the table names them.
OBTAIN = "obtain"
REFRESH = "refresh"
SLIDING_REFRESH = "sliding refresh"
VERIFY = "verify"
LOGOUT = "logout"
AUTHENTICATE = "JWTAuthentication"
AUTHENTICATE_STATELESS = "JWTStatelessUserAuthentication"
SESSION = "SessionView"
TOKEN_ENDPOINTS = (REFRESH, SLIDING_REFRESH, VERIFY, LOGOUT)
AUTHENTICATION = (AUTHENTICATE, AUTHENTICATE_STATELESS)


@dataclass(frozen=True)
class Code:
    """One row of :data:`CODES`: the HTTP status, when it is answered, and where."""

    status: int
    when: str
    entry_points: tuple[str, ...]


#: Every code a refusal of ours carries, body ``{"detail": ..., "code": ...}``.  The README's table
#: is this one rendered (:func:`codes_table`), and tests/django/test_refusal_codes.py walks every
#: kind of refusal through every entry point against it.  A rule's own ``Refuse(code=...)`` adds
#: the project's codes.
CODES: dict[str, Code] = {
    "token_not_valid": Code(
        401,
        "malformed, badly signed, expired, of the wrong type, without `jti`, or blacklisted (logged out, or "
        "reused with `REFRESH_TOKEN_REUSE_DETECTION` off); upstream's `InvalidToken`",
        (*TOKEN_ENDPOINTS, *AUTHENTICATION),
    ),
    "no_active_account": Code(
        401,
        "obtain: wrong credentials, or `USER_AUTHENTICATION_RULE` said no; token endpoints: the user the token "
        "names is deleted, or the rule says no (inactive)",
        (OBTAIN, REFRESH, SLIDING_REFRESH, VERIFY),
    ),
    "user_not_found": Code(401, "the user the access token names does not exist", AUTHENTICATION),
    "user_inactive": Code(401, "`USER_AUTHENTICATION_RULE` says no (inactive)", AUTHENTICATION),
    "user_refused": Code(
        401,
        "the rule raised `Refuse()` without a code (with one: that code)",
        (OBTAIN, REFRESH, SLIDING_REFRESH, VERIFY, *AUTHENTICATION),
    ),
    "password_changed": Code(
        401,
        "`CHECK_REVOKE_TOKEN`: the password changed since the token was issued",
        (REFRESH, SLIDING_REFRESH, VERIFY, *AUTHENTICATION),
    ),
    "bad_authorization_header": Code(401, "the header is not `<type> <token>`", AUTHENTICATION),
    "token_reused": Code(
        401, "the refresh token was already rotated or logged out: its family is now revoked", (REFRESH, VERIFY, LOGOUT)
    ),
    "token_family_revoked": Code(
        401,
        "the token belongs to a revoked family (on requests: with `POLICY_CACHE`)",
        (REFRESH, VERIFY, LOGOUT, *AUTHENTICATION),
    ),
    "token_already_rotated": Code(
        401, "a retry within `REFRESH_TOKEN_REUSE_GRACE_SECONDS`; nothing revoked", (REFRESH, VERIFY)
    ),
    "session_not_found": Code(
        404,
        "the family is not one of the caller's sessions in use (none, another user's, or ended already)",
        (SESSION,),
    ),
    "token_store_busy": Code(
        503,
        "the database could not take the write in time (a lock); nothing consumed, retry (`Retry-After: 1`)",
        (REFRESH, LOGOUT),
    ),
    "database_unavailable": Code(
        503,
        "the database cannot be reached (down, restarting, the connection dropped); nothing written, retry "
        "(`Retry-After: 1`)",
        (OBTAIN, *TOKEN_ENDPOINTS, *AUTHENTICATION),
    ),
}


def codes_table() -> str:
    """:data:`CODES` as the README's Markdown table."""
    lines = ["| code | status | when | entry points |", "| --- | --- | --- | --- |"]
    for code, row in CODES.items():
        where = ", ".join(row.entry_points)
        lines.append(f"| `{code}` | {row.status} | {row.when} | {where} |")
    return "\n".join(lines) + "\n"
