"""The policy cache's reads for async code: a warm cache answers without leaving the event loop.

:func:`verdict` is the async twin of the warm half of :func:`~simplejwt_rs.policy_cache.lookup.check`: the
user's entry and the token's family in one round trip (``redis.asyncio`` on Django's ``RedisCache``, the
memory itself on ``LocMemCache``), then the same :func:`~simplejwt_rs.policy_cache.lookup.enforce`.  Anything
else (a miss, junk, the breaker open, writes waiting to be replayed, a backend with no async read, an error) answers
``False``: the caller takes the sync path (one ``sync_to_async`` hop), which fills, replays and trips as always.
Nothing here writes to the cache or reads the database.

The near cache of this process (:func:`~simplejwt_rs.policy_cache.lookup.near_hit`) is consulted first;
:func:`read` is the one place keys are read from the cache itself.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from ..policy import canonical_user_id
from . import breaker
from .entries import decode, family_key, remember, token_family, user_key
from .lookup import enforce, near_hit
from .reads import JUNK

Reader = Callable[[list[str]], Awaitable[dict[str, Any]]]


class _AsyncRedisMget:
    """MGET on a ``redis.asyncio`` client per event loop, made from the settings Django's ``RedisCache`` uses
    (its first server, as :class:`~simplejwt_rs.policy_cache.reads._RedisMget`; its connection options),
    keys made by the cache's ``make_key`` and values read by its serializer."""

    def __init__(self, cache: Any) -> None:
        import redis
        import redis.asyncio  # the redis extra: RedisCache needs it already

        client = cache._cache
        options = dict(client._pool_options)
        if options.pop("parser_class", None) not in (None, redis.connection.DefaultParser):
            raise ValueError("a parser class of the project's own: no async twin")
        if client._pool_class is not redis.ConnectionPool:
            raise ValueError("a pool class of the project's own: no async twin")
        self.url = client._servers[0]
        self.options = options
        self.make_key = cache.make_key
        self.loads = client._serializer.loads
        self.module = redis.asyncio
        self.clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.keepers: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        found = self.clients.get(loop)
        if found is None:
            found = self.clients[loop] = self.module.Redis.from_url(self.url, **self.options)
            # Closed with its loop: an async generator is closed by the loop's shutdown_asyncgens()
            # (asyncio.run, asgiref's async_to_sync, uvicorn at exit), which runs its ``finally``.
            keeper = _closes_with_the_loop(found)
            await keeper.__anext__()
            self.keepers[loop] = keeper
        return found

    async def __call__(self, keys: list[str]) -> dict[str, Any]:
        values = await (await self._client()).mget([self.make_key(key) for key in keys])
        found = {}
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                try:
                    found[key] = self.loads(value)
                except Exception:  # noqa: BLE001  (bytes no Django serializer wrote: junk, a miss)
                    found[key] = JUNK
        return found


async def _closes_with_the_loop(client: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await client.aclose()


def _locmem(cache: Any) -> Reader:
    async def get_many(keys: list[str]) -> dict[str, Any]:
        return cache.get_many(keys)  # memory and a lock held for a dict lookup: nothing to wait for

    return get_many


# One reader per settings value (entries.remember() is rebuilt when SIMPLE_JWT or CACHES change) and alias:
# Django's cache objects are per async context, so a reader kept on them would be rebuilt every request.
_readers: dict[str, Reader | None] = {}
_readers_for: Any = None  # the settings value (entries.remember()) the readers were made for


def _reader(alias: str) -> Reader | None:
    global _readers_for
    current = remember()
    if _readers_for is not current:
        _readers.clear()  # an older settings value's readers are never used again
        _readers_for = current
    if alias in _readers:
        return _readers[alias]
    cache = caches[alias]
    reader: Reader | None = None
    if type(cache) is LocMemCache:
        reader = _locmem(cache)
    elif (
        isinstance(cache, RedisCache)
        and type(cache).get_many is RedisCache.get_many
        and type(cache._cache).get_many is RedisCacheClient.get_many
    ):
        try:
            reader = _AsyncRedisMget(cache)
        except (AttributeError, ValueError, IndexError, ImportError):  # another Django's RedisCache: the sync path
            reader = None
    _readers[alias] = reader
    return reader


async def read(keys: list[str]) -> dict[str, Any] | None:
    """The entries under ``keys`` (missing keys absent), or None when only the sync path can answer."""
    if breaker.breaker_open() or breaker._pending:
        return None
    alias = remember().alias
    reader = None if alias is None else _reader(alias)
    if reader is None:
        return None
    try:
        return await reader(keys)
    except Exception as exc:  # noqa: BLE001  (the cache failing: the breaker, then the database decides)
        breaker._trip(exc)
        return None


async def verdict(claims: dict[str, Any]) -> bool:
    """The whole policy for a verified token's claims from a warm cache, in the event loop.

    True: allowed.  Raises :class:`~simplejwt_rs.errors.UserRefused` or
    :class:`~simplejwt_rs.errors.TokenFamilyRevoked` as :func:`~simplejwt_rs.policy_cache.check` would.
    False: the cache cannot answer alone (see the module); take the sync path.
    """
    now = remember()
    user_id = canonical_user_id(claims.get(now.user_id_claim))
    if user_id is None:
        return False  # the sync path words the refusal
    key = user_key(user_id)
    family = token_family(claims)
    keys = [key] if family is None else [key, family_key(family)]
    hit = near_hit(keys)
    if hit is not None:  # this process's near cache: decoded already, no I/O but a poll
        enforce(claims, hit[key], family is not None and hit[keys[1]], now.rules)
        return True
    found = await read(keys)
    if found is None:
        return False
    state = found.get(key)
    cached = None if state is None or state is JUNK else decode(state)
    if cached is None:
        return False
    revoked = None if family is None else found.get(keys[1])
    if family is not None and type(revoked) is not bool:
        return False
    enforce(claims, cached, bool(revoked), now.rules)
    return True
