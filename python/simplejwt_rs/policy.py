"""The one user policy, applied at obtain, refresh, sliding refresh, verify, logout and authenticate.

Upstream applies ``USER_AUTHENTICATION_RULE`` at obtain (and, from 5.4, at
refresh), only ``is_active`` when authenticating a request, and nothing at
verify.  Every entry point here asks :func:`token_user` (or :func:`allows`
for a freshly authenticated user); :mod:`simplejwt_rs.errors` words the
refusal for each kind of entry point.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework_simplejwt.utils import get_md5_hash_password

from .errors import DELETED, INACTIVE, PASSWORD_CHANGED, RULE_REFUSED, Refuse, UserRefused
from .settings import get, get_ours

__all__ = [
    "Refuse",
    "UserRefused",
    "allows",
    "canonical_user_id",
    "default_user_authentication_rule",
    "find_user",
    "named_user",
    "token_user",
]

# Longer than any id a user model stores; refused before it reaches the database.
MAX_USER_ID_LENGTH = 255


def default_user_authentication_rule(user: Any) -> bool:
    """Upstream's default rule, with 5.4's ``CHECK_USER_IS_ACTIVE`` on every release."""
    return user is not None and (not get("CHECK_USER_IS_ACTIVE") or bool(user.is_active))


def allows(user: Any) -> bool:
    """``USER_AUTHENTICATION_RULE(user)``; ``user`` may be None (failed credentials).

    A rule may raise :class:`Refuse` to say why; that propagates.
    """
    return bool(get_ours("USER_AUTHENTICATION_RULE")(user))


def _canonical(user_id: Any, field: Any) -> Any:
    """The id field's value that ``user_id`` spells, if it spells it the way ``for_user`` writes it.

    ``for_user`` writes ``str(value)`` (or, before simplejwt 5.5, an integer
    as itself).  Django would also match ``True``, ``1.0``, ``" 1"``, ``"01"``
    or ``"١"`` to the user with id 1; a token naming a user must name exactly one
    spelling of one user.  Returns None when the claim is not canonical.
    """
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)):
        return None
    if isinstance(user_id, str) and not 0 < len(user_id) <= MAX_USER_ID_LENGTH:
        return None
    try:
        value = field.to_python(user_id)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None
    if value is None:
        return None
    if isinstance(user_id, str):
        return value if str(value) == user_id else None
    return value if type(value) is int and value == user_id else None


def canonical_user_id(user_id: Any) -> Any:
    """The ``USER_ID_FIELD`` value a user id claim spells exactly (see :func:`_canonical`), or None; no query."""
    User = get_user_model()
    return _canonical(user_id, User._meta.get_field(get("USER_ID_FIELD")))


def find_user(user_id: Any) -> Any:
    """The one user whose ``USER_ID_FIELD`` is exactly ``user_id``; raises :class:`UserRefused` (DELETED)."""
    User = get_user_model()
    name = get("USER_ID_FIELD")
    value = _canonical(user_id, User._meta.get_field(name))
    if value is None:
        raise UserRefused(DELETED)
    try:
        # Two rows: a USER_ID_FIELD that is not unique names nobody in particular (check W009).
        found = list(User.objects.filter(**{name: value})[:2])
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise UserRefused(DELETED) from exc
    if len(found) != 1:
        raise UserRefused(DELETED)
    return found[0]


def named_user(claims: dict[str, Any]) -> Any:
    """The user a token names exactly, or None: for records and signals, never for a decision."""
    try:
        return find_user(claims.get(get("USER_ID_CLAIM")))
    except UserRefused:
        return None


def token_user(claims: dict[str, Any]) -> Any:
    """Apply the policy to the user a verified token names.

    Returns the user, or None when the token has no user id claim at all
    (nothing to check).  Raises :class:`UserRefused` when the claim is null or
    names no single user exactly, the user fails the rule, or (with
    ``CHECK_REVOKE_TOKEN``) changed password since the token was issued.
    """
    claim = get("USER_ID_CLAIM")
    if claim not in claims:
        return None
    user = find_user(claims[claim])
    try:
        allowed = allows(user)
    except Refuse as refusal:
        raise UserRefused(RULE_REFUSED, user, refusal) from refusal
    if not allowed:
        raise UserRefused(INACTIVE, user)
    if get("CHECK_REVOKE_TOKEN") and claims.get(get("REVOKE_TOKEN_CLAIM")) != get_md5_hash_password(user.password):
        raise UserRefused(PASSWORD_CHANGED, user)
    return user
