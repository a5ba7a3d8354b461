"""The policy cache's reads: many keys in one round trip, on Django's ``RedisCache`` without its per-call cost."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from . import breaker
from .breaker import Unavailable


class _RedisMget:
    """MGET for Django's ``RedisCache`` on a connection of our own per thread, values as Django wrote them.

    Django's ``RedisCache`` builds a new ``redis.Redis`` client for every call, and the client then takes
    a connection from the pool, wraps the command in retries and metrics, and gives it back: several
    times the cost of the round trip itself.  Here each thread keeps one connection (made by the pool
    Django writes through, so with its server, credentials, database and timeouts: the first server, as
    a replica could lag behind the write-through) and sends one MGET on it.  A connection that fails is
    closed and, if it had served before (the server may have closed it while idle), tried once anew;
    whatever still fails goes to the caller (the breaker).  Keys are made by the cache's ``make_key``
    and values read by its serializer, as Django's ``get_many`` does.
    """

    def __init__(self, cache: Any) -> None:
        self.pool = cache._cache._get_connection_pool(True)
        self.make_key = cache.make_key
        self.loads = cache._cache._serializer.loads
        self.local = threading.local()

    def _connection(self) -> Any:
        local = self.local
        pid = os.getpid()
        if getattr(local, "pid", None) != pid:  # a new thread, or a forked process (never the parent's socket)
            local.connection = self.pool.make_connection()
            local.pid = pid
            local.used = False
        return local.connection

    def __call__(self, keys: list[str]) -> dict[str, Any]:
        # The command in the protocol's own framing (what redis-py's packer writes, without its per-argument work).
        command = [b"*%d\r\n$4\r\nMGET\r\n" % (len(keys) + 1)]
        for key in keys:
            made = self.make_key(key).encode()
            command.append(b"$%d\r\n%s\r\n" % (len(made), made))
        packed = b"".join(command)
        for attempt in (0, 1):
            connection = self._connection()
            try:
                connection.send_packed_command([packed])
                values = connection.read_response()
            except Exception:
                connection.disconnect()
                if attempt or not self.local.used:
                    raise
                self.local.used = False
                continue
            self.local.used = True
            break
        found = {}
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                try:
                    found[key] = self.loads(value)
                except Exception:  # noqa: BLE001  (bytes no Django serializer wrote: junk, not an outage)
                    found[key] = JUNK
        return found


_READER = "_simplejwt_rs_policy_reader"
# A value that could not be decoded: an entry of no shape we write, so a miss (the database decides).
JUNK = object()


def _get_many(cache: Any) -> Callable[[list[str]], dict[str, Any]]:
    """How to read many keys from ``cache`` in one round trip: :class:`_RedisMget` for Django's
    ``RedisCache`` (kept on the cache object, which Django keeps per thread or async context), the
    cache's ``get_many`` for any other backend (or a ``RedisCache`` subclass with a ``get_many`` of its own)."""
    reader = getattr(cache, _READER, None)
    if reader is not None:
        return reader
    if type(cache).get_many is not RedisCache.get_many or type(cache._cache).get_many is not RedisCacheClient.get_many:
        return cache.get_many
    try:
        reader = _RedisMget(cache)
    except AttributeError:  # a Django whose RedisCache is built otherwise: its own get_many, slower but right
        return cache.get_many
    setattr(cache, _READER, reader)
    return reader


def read(keys: list[str]) -> dict[str, Any]:
    """``get_many``; a failing cache trips the breaker and raises :class:`Unavailable`."""
    if not keys:
        return {}
    try:
        cache = breaker.cache()
        return _get_many(cache)(keys)
    except Unavailable:
        raise
    except Exception as exc:
        breaker._trip(exc)
        raise Unavailable() from exc
