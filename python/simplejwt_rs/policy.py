"""The one user policy, applied at obtain, refresh, sliding refresh, verify, logout and authenticate.

Upstream applies ``USER_AUTHENTICATION_RULE`` at obtain (and, from 5.4, at
refresh), only ``is_active`` when authenticating a request, and nothing at
verify.  Every entry point here asks :func:`token_user` (or :func:`allows`
for a freshly authenticated user); :mod:`simplejwt_rs.errors` words the
refusal for each kind of entry point.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import CharField, DateTimeField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from rest_framework_simplejwt.utils import get_md5_hash_password

from .errors import DELETED, INACTIVE, PASSWORD_CHANGED, RULE_REFUSED, Refuse, TokenFamilyRevoked, UserRefused
from .models import RevokedUserTokens
from .settings import get, get_ours

__all__ = [
    "AFTER_REVOCATION_CLAIM",
    "DELETED_VERDICT",
    "Refuse",
    "TokenRules",
    "UserRefused",
    "Verdict",
    "account",
    "account_claims",
    "after_revocation_claims",
    "account_key",
    "allows",
    "canonical_user_id",
    "default_user_authentication_rule",
    "find_user",
    "judge",
    "judge_id",
    "mark_of",
    "named_user",
    "pk_claim",
    "revoked_by_mark",
    "token_account",
    "token_rules",
    "token_user",
]

# A token minted in the same second as a "log out everywhere" (its whole-second ``iat`` cannot show
# that it came after the revocation) carries the mark it was minted after, in microseconds.
AFTER_REVOCATION_CLAIM = "after_revocation"

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


# Primary keys whose text in SQL (CAST AS text/varchar/char) is ``str(pk)``, on every database: the mark can be
# read in the user's own query. Others (a UUID is hex without hyphens on SQLite and MySQL) take a query of their own.
_PK_AS_TEXT = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
    }
)
# The attribute a user loaded with its mark carries it in (a datetime, or None: no mark).
_MARK = "_simplejwt_rs_revoked_before"


def _add_mark(queryset: Any) -> None:
    """Annotate ``queryset`` (the caller's own, fresh from ``filter()``) in place with each user's "revoked
    before" mark, when the pk allows it in one query.

    The mark's subquery is built (resolved and compiled: most of a refresh's Python time) once per user model
    and database, and added to each query as its SQL: the same statement, the same datetime conversion.  In
    place, as ``QuerySet.get`` sets its limit: no clone of the query per step.
    """
    model = queryset.model
    if model._meta.pk.get_internal_type() not in _PK_AS_TEXT:
        return
    db = queryset.db
    key = (model, db, connections[db].vendor)
    sql = _mark_sql.get(key)
    if sql is None:
        marks = RevokedUserTokens.objects.filter(user_id=Cast(OuterRef("pk"), CharField()))
        built = model._base_manager.using(db).annotate(**{_MARK: Subquery(marks.values("revoked_before")[:1])})
        query = built.query
        sql = _mark_sql[key] = query.get_compiler(using=db).compile(query.annotations[_MARK])
    queryset.query.add_annotation(RawSQL(sql[0], sql[1], output_field=_MARK_FIELD), _MARK)


# (user model, database alias, vendor) -> the mark's subquery as SQL and its parameters (see _add_mark).
_mark_sql: dict[tuple[Any, str, str], tuple[str, Any]] = {}
_MARK_FIELD = DateTimeField()


def find_user(user_id: Any, *, with_mark: bool = False) -> Any:
    """The one user whose ``USER_ID_FIELD`` is exactly ``user_id``; raises :class:`UserRefused` (DELETED).

    ``with_mark``: its "log out everywhere" mark is read in the same query where the pk's type allows
    (refresh and verify keep their statement budget); :func:`mark_of` then needs no query.
    """
    User = get_user_model()
    name = get("USER_ID_FIELD")
    value = _canonical(user_id, User._meta.get_field(name))
    if value is None:
        raise UserRefused(DELETED)
    try:
        # Two rows: a USER_ID_FIELD that is not unique names nobody in particular (check W009).
        users = User.objects.filter(**{name: value})
        if with_mark:
            _add_mark(users)
        users.query.set_limits(high=2)
        found = list(users)
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise UserRefused(DELETED) from exc
    if len(found) != 1:
        raise UserRefused(DELETED)
    return found[0]


def pk_claim() -> str | None:
    """The claim binding a token to its account's primary key, or None when ``USER_ID_FIELD`` is the key.

    A ``USER_ID_FIELD`` other than the primary key (a username, an e-mail) can be taken by a new account
    once the old one is deleted or renamed; the primary key is never reused, so tokens carry it as well.
    """
    claim = get("USER_PK_CLAIM")
    if claim is None or get("USER_ID_FIELD") == get_user_model()._meta.pk.name:
        return None
    return str(claim)


def token_account(claims: dict[str, Any], *, with_mark: bool = False) -> Any:
    """The one account a token names: by ``USER_ID_CLAIM`` and, where :func:`pk_claim` binds it, by its pk.

    Raises :class:`UserRefused` (DELETED) when it names none: a token of a deleted account whose
    ``USER_ID_FIELD`` value another account took since, or one minted without the pk claim, names nobody.
    """
    user = find_user(claims.get(get("USER_ID_CLAIM")), with_mark=with_mark)
    claim = pk_claim()
    if claim is not None and claims.get(claim) != str(user.pk):
        raise UserRefused(DELETED)
    return user


def named_user(claims: dict[str, Any]) -> Any:
    """The user a token names exactly, or None: for records and signals, never for a decision."""
    try:
        return token_account(claims)
    except UserRefused:
        return None


def account(user: Any) -> Any:
    """The user model instance behind ``user``: itself, or for a ``TokenUser`` the account its token names.

    A ``TokenUser``'s ``pk`` is the ``USER_ID_CLAIM`` value, which is not the primary key when
    ``USER_ID_FIELD`` is another field; whatever is recorded per user must be keyed by the account.
    Raises :class:`UserRefused` when the token names no account.
    """
    if isinstance(user, get_user_model()):
        return user
    token = getattr(user, "token", None)
    claims = getattr(token, "payload", token)
    if not isinstance(claims, dict):
        raise TypeError(f"not a user model instance nor a TokenUser: {type(user).__name__}")
    return token_account(claims)


def account_key(user: Any) -> str:
    """How every per-user revocation record keys ``user``: its account's primary key, as text."""
    return str(account(user).pk)


def mark_of(user: Any) -> float | None:
    """The user's "tokens issued at or before T are revoked" mark in the database: T (epoch seconds), or None."""
    if _MARK in vars(user):  # loaded with it (find_user's with_mark)
        found = vars(user)[_MARK]
    else:
        marks = RevokedUserTokens.objects.filter(user_id=account_key(user))
        found = marks.values_list("revoked_before", flat=True).first()
    if found is None:
        return None
    return calendar.timegm(found.utctimetuple()) + found.microsecond / 1_000_000


def _microseconds(mark: Any) -> int | None:
    if isinstance(mark, bool) or not isinstance(mark, (int, float)):
        return None
    try:
        return round(mark * 1_000_000)
    except (OverflowError, ValueError):  # not finite
        return None


def revoked_by_mark(claims: dict[str, Any], mark: Any) -> bool:
    """Whether the user's "revoked before" ``mark`` (epoch seconds, or None) revokes a token: the one rule.

    ``iat`` is in whole seconds: a token whose ``iat`` is after the mark came after the revocation; one
    whose ``iat`` is at or before it did not, unless it carries :data:`AFTER_REVOCATION_CLAIM` naming this
    mark or a later one (``for_user`` writes it when minting in the revocation's second, after reading the
    committed mark).  Refresh, sliding refresh, verify and authentication all judge by this.
    """
    if mark is None:
        return False
    mark_us = _microseconds(mark)
    if mark_us is None:
        return True  # a mark of another shape: refuse rather than guess
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        return True  # no issue time: cannot show it came after the revocation
    if iat * 1_000_000 > mark_us:
        return False
    seen = claims.get(AFTER_REVOCATION_CLAIM)
    return isinstance(seen, bool) or not isinstance(seen, int) or seen < mark_us


def _account_or_none(user: Any) -> Any:
    try:
        return account(user)
    except (UserRefused, TypeError):
        return None


def account_claims(user: Any) -> dict[str, Any]:
    """The claims ``for_user`` adds to name ``user``'s account beyond ``USER_ID_CLAIM``: its primary key."""
    claim = pk_claim()
    if claim is None:
        return {}
    owner = _account_or_none(user)
    return {} if owner is None else {claim: str(owner.pk)}


def after_revocation_claims(user: Any, claims: dict[str, Any]) -> dict[str, Any]:
    """For a token being minted for ``user``: the claim that shows it follows the user's latest revocation,
    when its ``iat`` alone cannot (it falls in the revocation's second); else nothing.  One query."""
    owner = _account_or_none(user)
    mark = None if owner is None else mark_of(owner)
    if not revoked_by_mark(claims, mark):
        return {}
    return {AFTER_REVOCATION_CLAIM: _microseconds(mark)}


@dataclass(frozen=True)
class TokenRules:
    """The settings a verdict compares a token's claims with, read once (:func:`token_rules`)."""

    pk_claim: str | None  # :func:`pk_claim`
    revoke_claim: str | None  # ``REVOKE_TOKEN_CLAIM`` with ``CHECK_REVOKE_TOKEN``; None without


def token_rules() -> TokenRules:
    return TokenRules(pk_claim(), get("REVOKE_TOKEN_CLAIM") if get("CHECK_REVOKE_TOKEN") else None)


@dataclass(frozen=True)
class Verdict:
    """The policy's judgement of one account, before any token is looked at (what ``POLICY_CACHE`` stores).

    ``refused`` is None (allowed) or ``DELETED``, ``INACTIVE`` or ``RULE_REFUSED`` (``refusal``: the rule's
    own :class:`Refuse`).  An allowed verdict carries what a token is compared with: the account's primary
    key (as text) and its password's fingerprint.  ``mark``: the user's "revoked before" mark, when read.
    """

    refused: str | None
    refusal: Refuse | None = None  # RULE_REFUSED: the rule's own
    fingerprint: str | None = None
    pk: str | None = None
    mark: float | None = None
    user: Any = field(default=None, compare=False, repr=False)  # the account judged (never cached)

    def enforce(self, claims: dict[str, Any], rules: TokenRules | None = None) -> None:
        """Refuse a verified token's ``claims`` as this verdict says: the one place a verdict becomes an exception.

        Raises :class:`UserRefused` (no account, the pk the token is bound to, the rule, then
        ``CHECK_REVOKE_TOKEN``'s password fingerprint) or :class:`~simplejwt_rs.errors.TokenFamilyRevoked`
        (the mark, :func:`revoked_by_mark`).
        """
        if self.refused == DELETED:
            raise UserRefused(DELETED)
        rules = token_rules() if rules is None else rules
        # As token_account: a token bound to another account names nobody, whatever that account's verdict
        # (a cached refusal does not keep the pk: then the refusal answers).
        if rules.pk_claim is not None and (self.pk is not None or self.refused is None):
            if claims.get(rules.pk_claim) != self.pk:
                raise UserRefused(DELETED)
        if self.refused is not None:
            raise UserRefused(self.refused, self.user, self.refusal) from self.refusal
        if rules.revoke_claim is not None and claims.get(rules.revoke_claim) != self.fingerprint:
            raise UserRefused(PASSWORD_CHANGED, self.user)
        if revoked_by_mark(claims, self.mark):
            raise TokenFamilyRevoked()


DELETED_VERDICT = Verdict(DELETED)


def judge(user: Any, mark: float | None = None) -> Verdict:
    """The policy's verdict on an account (None: there is none), with its "revoked before" ``mark``."""
    if user is None:
        return DELETED_VERDICT
    try:
        allowed = allows(user)
    except Refuse as refusal:
        return Verdict(RULE_REFUSED, refusal, pk=str(user.pk), mark=mark, user=user)
    if not allowed:
        return Verdict(INACTIVE, pk=str(user.pk), mark=mark, user=user)
    return Verdict(None, None, get_md5_hash_password(user.password), str(user.pk), mark, user)


def judge_id(user_id: Any) -> Verdict:
    """The verdict on the account whose ``USER_ID_FIELD`` is ``user_id``, with its mark: one query (the user
    row, the mark read in it where the pk's type allows)."""
    try:
        user = find_user(user_id, with_mark=True)
    except UserRefused:
        return DELETED_VERDICT
    return judge(user, mark_of(user))


def token_user(claims: dict[str, Any], *, revocations: bool = False) -> Any:
    """Apply the policy to the user a verified token names.

    Returns the user, or None when the token has no user id claim at all
    (nothing to check).  Raises :class:`UserRefused` when the claim is null or
    names no single account exactly (:func:`token_account`), the user fails
    the rule, or (with ``CHECK_REVOKE_TOKEN``) changed password since the
    token was issued (:meth:`Verdict.enforce`).  With ``revocations`` (refresh,
    sliding refresh, verify), a token the user's "log out everywhere"
    mark revokes (:func:`revoked_by_mark`) raises
    :class:`~simplejwt_rs.errors.TokenFamilyRevoked`.
    """
    claim = get("USER_ID_CLAIM")
    if claim not in claims:
        return None
    user = token_account(claims, with_mark=revocations)
    judge(user, mark_of(user) if revocations else None).enforce(claims)
    return user
