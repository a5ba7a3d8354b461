"""The policy cache's breaker: a failing cache sends every lookup to the database for a while, and the
writes that could not reach it are kept in this process and replayed before its next use."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches

from ..settings import get
from . import entries, near
from .entries import _USER_PREFIX, ttl, user_key

log = logging.getLogger("simplejwt_rs.policy_cache")

# How long a failed cache call keeps every request on the database path before the cache is tried again.
BREAKER_SECONDS = 2.0

_lock = threading.Lock()
_down_until = 0.0
# Writes that failed: key -> (value, ttl), value None = delete, _REFILL = a user's entry. Replayed before
# the cache is used again.
_pending: dict[str, tuple[Any, float]] = {}
# A user's entry is replayed from the database as it is then (:func:`rewrite`), never from a value kept
# since the failure: another server may have written a later state (a "revoked before" mark) meanwhile.
_REFILL = object()


# Touched after every write-through (:func:`write`): a key never written, so ``touch`` changes nothing.
SYNC_KEY = f"{entries.PREFIX}sync"


class Unavailable(Exception):
    """The cache failed (or the breaker is open): take the database path."""


def reset() -> None:
    """Close the breaker and drop the kept writes (a fresh process, as tests want it)."""
    global _down_until
    with _lock:
        _pending.clear()
        _down_until = 0.0


def _trip(exc: BaseException) -> None:
    global _down_until
    with _lock:
        was_up = _down_until <= time.monotonic()
        _down_until = time.monotonic() + BREAKER_SECONDS
    # This process's writes may not have reached the cache (kept for replay): its near copy must not answer
    # for them, now nor once the breaker closes before the replay.
    near.forget()
    if was_up:
        log.warning(
            "Policy cache %r failed (%s); the database decides for %ss", get("POLICY_CACHE"), exc, BREAKER_SECONDS
        )


def breaker_open() -> bool:
    return _down_until > time.monotonic()


def cache() -> Any:
    """The configured cache, with failed writes replayed; raises :class:`Unavailable` while the breaker is open."""
    if breaker_open():
        raise Unavailable()
    found = caches[entries.remember().alias]
    if _pending:
        with _lock:
            replay = dict(_pending)
            _pending.clear()
        try:
            deletes = [key for key, (value, _t) in replay.items() if value is None]
            if deletes:
                found.delete_many(deletes)
            for key, (value, seconds) in replay.items():
                if value is not None and value is not _REFILL:
                    found.set(key, value, seconds)
        except Exception as exc:
            with _lock:
                for key, entry in replay.items():
                    _pending.setdefault(key, entry)
            _trip(exc)
            raise Unavailable() from exc
        for key, (value, _t) in replay.items():
            if value is _REFILL:
                rewrite(key[len(_USER_PREFIX) :])  # a failure here is kept for replay again, and trips
        if breaker_open():
            raise Unavailable()
    return found


def write(values: dict[str, Any], seconds: float) -> None:
    """Write through (``set``; a value None deletes); on failure keep the writes for replay."""
    if not values:
        return
    try:
        found = cache()
        deletes = [key for key, value in values.items() if value is None]
        sets = {key: value for key, value in values.items() if value is not None}
        if deletes:
            found.delete_many(deletes)
        if sets:
            found.set_many(sets, seconds)
        # One more round trip before this server goes on (and answers its client): Redis writes what the
        # write queued for other clients (the near caches' invalidations) in the event-loop turn of its
        # reply, so once this answer is back every near cache's channel has been sent the invalidation.
        found.touch(SYNC_KEY)  # on the server written to (a get may read a replica); a key never written
        return
    except Unavailable:
        pass
    except Exception as exc:
        _trip(exc)
    with _lock:
        _pending.update(
            {key: (_REFILL if key.startswith(_USER_PREFIX) else value, seconds) for key, value in values.items()}
        )


def _fill(key: str, value: Any) -> None:
    """A cold entry filled from the database: ``add``, so that it never overwrites a write-through."""
    try:
        cache().add(key, value, ttl())
    except Unavailable:
        pass
    except Exception as exc:
        _trip(exc)


def rewrite(user_id: Any) -> None:
    """``set`` the user's entry as the (committed) database has it; again while the database moves meanwhile.

    A fill (``add``) that read the database before the commit either lands first and is overwritten here,
    or finds this entry and does nothing.  Two servers rewriting one entry at once (a revocation and a save
    of the same user): whichever ``set`` lands last was read before the other's commit only if the read
    that follows it sees a change, and then it is written again; a rewrite that reads back what it wrote
    left the entry as the database had it after every commit its ``set`` could have raced.
    """
    key = user_key(user_id)
    state = entries._state_from_db(user_id)
    for _attempt in range(5):
        write({key: state}, ttl())
        again = entries._state_from_db(user_id)
        if again == state:
            return
        state = again
    write({key: None}, ttl())  # still moving: let the next request fill it
