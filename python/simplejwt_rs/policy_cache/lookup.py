"""The policy cache's one lookup: a token's verdict and family, from the cache or (a miss, an outage) the database."""

from __future__ import annotations

import copy
import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from time import monotonic as _monotonic
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction

from ..errors import DELETED, TokenFamilyRevoked, UserRefused
from ..policy import TokenRules, Verdict, canonical_user_id, judge, judge_id, mark_of, token_account
from . import breaker, near, reads
from .breaker import Unavailable
from .entries import (
    _FAMILY_PREFIX,
    decode,
    encode,
    family_key,
    family_revoked_in_db,
    remember,
    token_family,
    ttl,
    user_key,
)

log = logging.getLogger("simplejwt_rs.policy_cache")


def check(claims: dict[str, Any], *, load_user: bool = False) -> Any:
    """The whole policy for a verified token's claims: zero SQL queries when the cache is warm.

    The user's verdict (:class:`~simplejwt_rs.policy.Verdict`) comes from the cache, or on a miss from the
    database (and is filled in); :meth:`~simplejwt_rs.policy.Verdict.enforce` refuses the token by it; then
    the token's family.  With ``load_user`` (``JWTAuthentication``: ``request.user`` is the row) the user row
    is read and judged, once, and the cache adds what a row cannot tell: the "revoked before" mark (and the
    family); the user is returned.  Raises :class:`~simplejwt_rs.errors.UserRefused` or
    :class:`~simplejwt_rs.errors.TokenFamilyRevoked`.  When the cache fails, the database decides.
    """
    now = remember()
    claim = now.user_id_claim
    named = claim in claims
    user_id, key = _user_of(now, claims[claim]) if named else (None, None)
    if named and key is None:
        raise UserRefused(DELETED)
    family = token_family(claims)
    keys = [] if key is None else [key]
    if family is not None:
        keys.append(family_key(family))
    user = None
    hit = near_hit(keys)
    if hit is not None:  # this process's copy: the verdict and the family, decoded already
        verdict = None if key is None else hit[key]
        loader = None
        if load_user and verdict is not None:
            if now.near_users and verdict.refused is None and not isinstance(verdict, KeptUser):
                hit = None  # the row is to be kept with the verdict: read both afresh, below
            else:
                loader = _row_of_kept if isinstance(verdict, KeptUser) else functools.partial(_row_read, claims)
        if hit is not None:
            return enforce(claims, verdict, family is not None and hit[keys[-1]], now.rules, loader)
    keep = _ticket() if load_user and key is not None and now.near_users else None
    found = near_read(keys)
    if key is not None:
        state = None if found is None else found.get(key)
        cached = None if state is None else decode(state)
        if state is not None and cached is None:
            # Of another shape (junk, another release's): a miss that the database decides, family included;
            # the entry is rewritten from the database once the transaction commits (as a write-through is, so
            # that no concurrent change is overwritten).
            _junk(key, state)
            transaction.on_commit(lambda: breaker.rewrite(user_id))
            found = None
        if load_user:
            user, verdict = _row_read(claims, cached)
            if keep is not None and cached is not None and cached.refused != DELETED:
                _keep_row(key, cached, verdict, keep)
        else:
            verdict = judge_id(user_id) if cached is None else cached
        if cached is None and found is not None:  # cold or evicted: filled, complete
            breaker._fill(key, encode(verdict))
        verdict.enforce(claims, now.rules)
    if family is not None and _family_revoked(found, family):
        raise TokenFamilyRevoked()
    return user


def enforce(
    claims: dict[str, Any],
    verdict: Verdict | None,
    revoked: bool,
    rules: TokenRules,
    load_user: Callable[[Verdict], tuple[Any, Verdict]] | None = None,
) -> Any:
    """The warm half of a lookup, sync or async: the user's ``verdict`` (None: the token names no user) is
    enforced, then the family (``revoked``) refused.  ``load_user`` (``JWTAuthentication``: the row) gives the
    user and the verdict to enforce from the cached one; the user is returned (None without ``load_user``)."""
    user = None
    if verdict is not None:
        if load_user is not None:
            user, verdict = load_user(verdict)
        verdict.enforce(claims, rules)
    if revoked:
        raise TokenFamilyRevoked()
    return user


def _row_read(claims: dict[str, Any], cached: Verdict | None) -> tuple[Any, Verdict]:
    """The user row read and judged (the rule runs on it); the cached verdict adds the mark.  None (a miss) or
    a "deleted" entry for a row the caller can load (a rolled-back delete): the database's mark."""
    fresh = cached is None or cached.refused == DELETED
    user = token_account(claims, with_mark=fresh)
    return user, judge(user, mark_of(user) if fresh else cached.mark)  # type: ignore[union-attr]


# --- POLICY_NEAR_CACHE_USERS: the user's row kept next to its verdict, in this process only ----------------


class _Row:
    """A user row's field values as read from the database; :meth:`instance` makes a new model instance of
    them (``Model.from_db``: no query, as a row just read), so that no request shares another's object."""

    __slots__ = ("copy", "db", "model", "names", "values")

    def __init__(self, user: Any) -> None:
        fields = user._meta.concrete_fields
        self.model = type(user)
        self.db = user._state.db
        self.names = [field.attname for field in fields]
        self.values = tuple(getattr(user, name) for name in self.names)
        # A mutable value (a JSONField's dict, an ArrayField's list) is copied per instance.
        self.copy = any(type(value) not in _IMMUTABLE for value in self.values)

    def instance(self) -> Any:
        values = copy.deepcopy(self.values) if self.copy else self.values
        return self.model.from_db(self.db, self.names, values)


_IMMUTABLE = frozenset(
    {str, int, float, bool, type(None), bytes, Decimal, UUID, datetime.datetime, datetime.date, datetime.time}
    | {datetime.timedelta}
)


@dataclass(frozen=True)
class KeptUser(Verdict):
    """An allowed verdict of the near cache with the row it was judged on (``POLICY_NEAR_CACHE_USERS``):
    held by the same entry, so whatever drops the verdict (an invalidation, the age or size bound, the channel
    dropping, the breaker) drops the row with it.  The row takes no part in comparisons."""

    row: Any = field(default=None, compare=False, repr=False)


def _row_of_kept(verdict: Verdict) -> tuple[Any, Verdict]:
    """The user from the kept row (a new instance), and the verdict it was judged with (naming it)."""
    user = verdict.row.instance()  # type: ignore[attr-defined]
    return user, Verdict(None, None, verdict.fingerprint, verdict.pk, verdict.mark, user)


def _ticket() -> int | None:
    near_cache = near.current()
    if near_cache is None or breaker._pending:
        return None
    return near_cache.ticket()


def _keep_row(key: str, cached: Verdict, verdict: Verdict, ticket: int) -> None:
    """Keep ``verdict``'s user row next to the cached verdict in the near cache, when the row read agrees with
    the cache (an allowed verdict equal to it: a change in flight leaves them different) and no invalidation
    of the key came since ``ticket`` (taken before the cache was read)."""
    if verdict.refused is not None or verdict != cached or not isinstance(verdict.user, get_user_model()):
        return
    near_cache = near.current()
    if near_cache is None or breaker._pending:
        return
    kept = KeptUser(None, None, cached.fingerprint, cached.pk, cached.mark, None, _Row(verdict.user))
    near_cache.put({key: kept}, ticket)


def near_user(claims: dict[str, Any]) -> Any:
    """The user row from this process's near cache (``POLICY_NEAR_CACHE_USERS``), the whole policy enforced as
    :func:`check` with ``load_user`` does: no I/O but the channel's poll, no thread.  None: it cannot answer
    (the option off, no kept row, a refusal to word from the database's row): then :func:`check`."""
    now = remember()
    claim = now.user_id_claim
    if not now.near_users or claim not in claims:
        return None
    _, key = _user_of(now, claims[claim])
    if key is None:
        return None
    family = token_family(claims)
    keys = [key] if family is None else [key, family_key(family)]
    hit = near_hit(keys)
    if hit is None or not isinstance(hit[key], KeptUser):
        return None
    return enforce(claims, hit[key], family is not None and hit[keys[-1]], now.rules, _row_of_kept)


def _user_of(now: Any, claim: Any) -> tuple[Any, str | None]:
    """The ``USER_ID_FIELD`` value a user id claim spells and its key ((None, None): not a canonical
    spelling of an id), remembered per settings value."""
    if type(claim) not in (str, int):
        return None, None
    memo = now.user_keys
    found = memo.get((type(claim), claim))
    if found is None:
        user_id = canonical_user_id(claim)
        if user_id is None:
            return None, None
        if len(memo) >= _USER_KEYS_REMEMBERED:
            memo.clear()
        found = memo[(type(claim), claim)] = (user_id, user_key(user_id))
    return found


_USER_KEYS_REMEMBERED = 10_000


def near_hit(keys: list[str]) -> dict[str, Any] | None:
    """The near cache's entries for ``keys`` (a user's as a :class:`~simplejwt_rs.policy.Verdict`, a
    family's as a bool), or None: it is off, or lacks one, or must not answer now (then :func:`near_read`).

    The first call of a lookup, sync or async: no I/O but a poll of the invalidation channel."""
    near_cache = near._near if near._decided else near.current()
    if near_cache is None or breaker._pending or breaker._down_until > _monotonic():
        # While the breaker is open, or this process's writes wait for replay, the cache is behind the
        # database: so is the near copy of it.
        return None
    return near_cache.get(keys)


def near_read(keys: list[str]) -> dict[str, Any] | None:
    """The entries of ``keys`` read from the cache, and those of a shape we write kept near (decoded);
    None when the cache failed (the database decides)."""
    near_cache = near.current()
    ticket = None if near_cache is None or breaker._pending else near_cache.ticket()
    try:
        found = reads.read(keys)
    except Unavailable:
        return None
    if ticket is not None and found:
        near_cache.put(decoded(found), ticket)  # type: ignore[union-attr]
    return found


def decoded(found: dict[str, Any]) -> dict[str, Any]:
    """The entries of a shape we write, decoded (junk is left to the lookup, which logs it and lets the
    database decide)."""
    kept: dict[str, Any] = {}
    for key, value in found.items():
        if key.startswith(_FAMILY_PREFIX):
            if type(value) is bool:
                kept[key] = value
        else:
            verdict = decode(value)
            if verdict is not None:
                kept[key] = verdict
    return kept


def _family_revoked(found: dict[str, Any] | None, family: str) -> bool:
    """The family's cached answer (a cold entry filled from the database); the database's without a cache.

    An entry that is not a bool (junk: ``0``, ``""``, a string...) is a miss: the database decides, and a
    revocation it holds is written over the junk (a family is never un-revoked, so that ``set`` cannot
    race anything into a wrong answer).  Junk over a family the database does not revoke is left to expire:
    replacing it with ``False`` could land over a concurrent revocation's ``True``.
    """
    if found is None:
        return family_revoked_in_db(family)
    key = family_key(family)
    revoked = found.get(key)
    if revoked is None:
        revoked = family_revoked_in_db(family)
        breaker._fill(key, revoked)
    elif type(revoked) is not bool:
        _junk(key, revoked)
        revoked = family_revoked_in_db(family)
        if revoked:
            breaker.write({key: True}, ttl())
    return bool(revoked)


def _junk(key: str, value: Any) -> None:
    log.warning(
        "Policy cache entry %r holds a value of an unexpected shape (%s): ignored, the database decides",
        key,
        type(value).__name__,
    )
