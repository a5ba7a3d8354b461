"""The policy cache's one lookup: a token's verdict and family, from the cache or (a miss, an outage) the database."""

from __future__ import annotations

import logging
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
    well_formed,
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
    user_id = canonical_user_id(claims.get(claim)) if named else None
    if named and user_id is None:
        raise UserRefused(DELETED)
    family = token_family(claims)
    key = None if user_id is None else user_key(user_id)
    keys = [] if key is None else [key]
    if family is not None:
        keys.append(family_key(family))
    found = near_read(keys)
    user = None
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


def near_read(keys: list[str]) -> dict[str, Any] | None:
    """The entries of ``keys``: from the process's near cache when it has them all, else from the cache
    (and those of a shape we write kept near); None when the cache failed (the database decides)."""
    near_cache = near.current()
    ticket = None
    # While the breaker is open, or this process's writes wait for replay, the cache is behind the database:
    # so is the near copy of it.
    if near_cache is not None and (breaker._pending or breaker.breaker_open()):
        near_cache = None
    if near_cache is not None:
        found = near_cache.get(keys)
        if found is not None:
            return found
        ticket = near_cache.ticket()
    try:
        found = reads.read(keys)
    except Unavailable:
        return None
    if near_cache is not None and found:
        near_cache.put({key: value for key, value in found.items() if _keepable(key, value)}, ticket)
    return found


def _keepable(key: str, value: Any) -> bool:
    """An entry of a shape we write (junk is left to the lookup, which logs it and lets the database decide)."""
    return type(value) is bool if key.startswith(_FAMILY_PREFIX) else well_formed(value)


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
