r"""The policy cache: the user policy and token revocations on Django's cache framework (``POLICY_CACHE``).

With ``SIMPLE_JWT["POLICY_CACHE"]`` naming a cache alias (a ``RedisCache``
shared by every app server), authentication answers from the cache, in one
round trip and without SQL on a warm cache:

- per user (``USER_ID_FIELD`` value), one entry: the policy's verdict (deleted,
  refused by ``USER_AUTHENTICATION_RULE`` with its own message and code,
  inactive, allowed), the password fingerprint that ``CHECK_REVOKE_TOKEN``
  compares, and the "tokens issued at or before T are revoked" mark that
  :func:`~simplejwt_rs.store.revoke_user_tokens` keeps in the database
  (:class:`~simplejwt_rs.models.RevokedUserTokens`);
- per token family: revoked or not (set by :func:`~simplejwt_rs.store.revoke_family`).

The database is the source of truth, the cache a copy of it.  Written through
on every change that matters: a user saved (password changes included) or
deleted, a user's groups or permissions changed, a family revoked, a user's
tokens revoked.  A cold or evicted entry is filled, complete, from the database
with ``add`` (never over a write-through).  A user's write-through deletes the
entry at once (user changes) and, once the transaction commits, ``set``\s the
entry read from the database, then reads the database again and repeats if it
moved meanwhile (:func:`.breaker.rewrite`): so neither a fill that read the database
before the commit nor another server's write-through racing this one can leave
an entry older than the database in the cache.

The cache failing never widens access: any cache error opens a short circuit
breaker (:data:`BREAKER_SECONDS`) during which every check takes the database
path, as the cache's fill does; writes that could not reach the cache are kept
in this process and replayed before its next use of the cache.

The package, by job: :mod:`.entries` (keys, an entry as a :class:`~simplejwt_rs.policy.Verdict` encoded,
what a junk entry is), :mod:`.breaker` (the breaker, writes, replays), :mod:`.reads` (one round trip for
many keys), :mod:`.near` (each process's copy of the entries, kept coherent by Redis's invalidations;
:func:`.lookup.near_hit` asks it first, with no I/O but a poll), :mod:`.lookup` (the one lookup, :func:`check`),
:mod:`.receivers` (the write-through, connected by ``AppConfig.ready()``).
The policy decides (:mod:`simplejwt_rs.policy`); this only stores its verdicts.
"""

from __future__ import annotations

from ..policy import mark_of
from .breaker import BREAKER_SECONDS, Unavailable, breaker_open
from .entries import MARGIN_SECONDS, PREFIX, enabled, family_key, state_of, ttl, user_key, well_formed
from .lookup import check
from .receivers import families_revoked, forget_user, user_tokens_revoked

__all__ = [
    "BREAKER_SECONDS",
    "MARGIN_SECONDS",
    "PREFIX",
    "Unavailable",
    "breaker_open",
    "check",
    "enabled",
    "families_revoked",
    "family_key",
    "forget_user",
    "mark_of",
    "state_of",
    "ttl",
    "user_key",
    "user_tokens_revoked",
    "well_formed",
]
