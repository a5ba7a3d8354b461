"""The policy cache's one lookup: a token's verdict and family, from the cache or (a miss, an outage) the database."""

from __future__ import annotations

import logging
from time import monotonic as _monotonic
from typing import Any

from django.db import transaction

from ..errors import DELETED, TokenFamilyRevoked, UserRefused
from ..policy import canonical_user_id, judge, judge_id, mark_of, token_account
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
        if key is not None:
            verdict = hit[key]
            if load_user:
                fresh = verdict.refused == DELETED
                user = token_account(claims, with_mark=fresh)
                verdict = judge(user, mark_of(user) if fresh else verdict.mark)
            verdict.enforce(claims, now.rules)
        if family is not None and hit[keys[-1]]:
            raise TokenFamilyRevoked()
        return user
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
            # A "deleted" entry for a row the caller can load is a rolled-back delete: the database's mark.
            fresh = cached is None or cached.refused == DELETED
            user = token_account(claims, with_mark=fresh)
            verdict = judge(user, mark_of(user) if fresh else cached.mark)  # type: ignore[union-attr]
        else:
            verdict = judge_id(user_id) if cached is None else cached
        if cached is None and found is not None:  # cold or evicted: filled, complete
            breaker._fill(key, encode(verdict))
        verdict.enforce(claims, now.rules)
    if family is not None and _family_revoked(found, family):
        raise TokenFamilyRevoked()
    return user


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
