"""Exception classes raised by the Rust core.

Python owns these classes; the native module imports them once and raises
them.  Every class carries a stable ``code`` (a short machine-readable string)
that the Django layer maps onto simplejwt's messages and DRF error codes.
"""

from __future__ import annotations


class JWTError(Exception):
    """Base class of every error the core raises about a token or a key."""

    code = "token_error"


class InvalidTokenError(JWTError):
    """The token is not a well-formed compact JWS (segments, base64url, JSON, size)."""

    code = "token_malformed"


class TokenTooLargeError(InvalidTokenError):
    """The token is longer than the codec's ``max_token_bytes``; refused before any parsing."""

    code = "token_too_large"


class UnknownKeyError(InvalidTokenError):
    """No configured key verifies the token.

    Its ``kid`` names no entry of the key set, or it has no ``kid`` and no key
    verifies tokens without one.
    """

    code = "unknown_key"


class InvalidSignatureError(JWTError):
    """The signature does not verify with the configured key."""

    code = "bad_signature"


class InvalidAlgorithmError(JWTError):
    """The header ``alg`` is not the configured algorithm (``none`` is always refused)."""

    code = "invalid_algorithm"


class InvalidClaimError(JWTError):
    """A registered claim has the wrong JSON type (e.g. ``exp`` is a string)."""

    code = "invalid_claim"


class ExpiredTokenError(JWTError):
    """``exp`` is in the past (``exp <= now - leeway``)."""

    code = "token_expired"


class ImmatureTokenError(JWTError):
    """``nbf`` or ``iat`` is in the future (beyond the leeway)."""

    code = "token_not_yet_valid"


class InvalidAudienceError(JWTError):
    """``aud`` does not contain the configured audience."""

    code = "invalid_audience"


class InvalidIssuerError(JWTError):
    """``iss`` is not the configured issuer."""

    code = "invalid_issuer"


class MissingClaimError(JWTError):
    """A required claim (``aud``, ``iss``, ``exp``, token type, ``jti``) is absent.

    ``claim`` names it.
    """

    code = "missing_claim"

    def __init__(self, message: str, claim: str = "") -> None:
        super().__init__(message)
        self.claim = claim


class WrongTokenTypeError(JWTError):
    """The token-type claim holds another type (an access token offered as refresh)."""

    code = "wrong_token_type"


class InvalidKeyError(JWTError, ValueError):
    """A key cannot be used: unparsable, or of the wrong type or curve for the algorithm."""

    code = "invalid_key"


class UserInactiveError(JWTError):
    """The refresh callback refused the user (inactive, deleted or disallowed)."""

    code = "user_inactive"


class InvalidSettingError(ValueError):
    """A setting given to the core is out of range (a negative leeway, a token lifetime that is not positive).

    About configuration, never about a token: not a ``JWTError``, so no layer
    that answers 401 for token errors can hide it.
    """

    code = "invalid_setting"


def _by_code() -> dict[str, type[Exception]]:
    classes: list[type[Exception]] = [JWTError]
    for cls in classes:
        classes.extend(cls.__subclasses__())
    classes.append(InvalidSettingError)
    return {cls.code: cls for cls in classes if cls.__module__ == __name__}  # type: ignore[attr-defined]


#: The class raised for each code: the native module looks errors up here, so a
#: code and its class are defined in one place.
BY_CODE = _by_code()

__all__ = [
    "ExpiredTokenError",
    "ImmatureTokenError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidSettingError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "JWTError",
    "MissingClaimError",
    "TokenTooLargeError",
    "UnknownKeyError",
    "UserInactiveError",
    "WrongTokenTypeError",
]
