"""The near cache: each process's copy of the policy cache's entries, kept coherent by Redis's invalidations.

Redis (6 and later) tracks keys for a client that asks it to (``CLIENT TRACKING ON BCAST PREFIX``, RESP3)
and pushes ``invalidate [keys]`` to that client on every write of a key under the prefix, by any server.
Each process keeps one such connection (the *invalidation channel*) and a bounded dict of entries
(:class:`Near`).  The rules that keep it from ever answering with a stale entry:

- Before every hit the channel's socket is polled and whatever is there is applied first.  Redis writes the
  invalidations a write queues in the event-loop turn of its reply, and the server that made a change makes
  one more round trip after its write-through (:func:`.breaker.write`) before it answers its client: by
  then the invalidation is in this process's socket, and the very next request here sees it.
- A value read from Redis goes in only if no invalidation of its key (nor a reconnection, nor a flush) was
  applied since the read began (:meth:`Near.ticket`, :meth:`Near.put`).
- The channel dropping (closed, an error, a reply of a kind we do not expect, or silence: a ``PING`` every
  :data:`PING_SECONDS`, nothing heard for :data:`SILENCE_SECONDS`) empties the near cache at once; reads go to
  Redis (and, Redis failing, to the database) until the channel is back.
- Entries are bounded in number (oldest out) and in age (``POLICY_NEAR_CACHE_SECONDS``).

redis-py's own client-side caching (``protocol=3, cache_config=...``) works the same way (it drains the
connection that cached an entry before serving it and flushes on disconnect), but needs Redis 7.4 and a
long-lived ``redis.Redis``; Django's ``RedisCache`` builds a client per call, and its per-hit cost (locks,
a cache key object, a deep copy) is several times the budget of a policy lookup.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from ..settings import get
from .entries import PREFIX, remember

log = logging.getLogger("simplejwt_rs.policy_cache")

# The channel is pinged this often; silent for SILENCE_SECONDS, it is dropped (a peer gone without a FIN).
PING_SECONDS = 1.0
SILENCE_SECONDS = 3.0
# Reconnection back-off (doubling), while the channel is down; at most 1 s, so that the channel is back
# within the breaker's window (BREAKER_SECONDS) of Redis being back.
RETRY_SECONDS = (0.05, 1.0)
# The channel's thread wakes this often (a socket closed by another thread does not wake select()).
_WAKE_SECONDS = 0.25
_PING = b"*1\r\n$4\r\nPING\r\n"
_READY = select.POLLIN | select.POLLERR | select.POLLHUP | select.POLLNVAL
# How many recently invalidated keys are remembered (for puts that raced them); past it, older puts are refused.
_REMEMBERED = 4096


_monotonic = time.monotonic


def _nothing_to_read(timeout: float) -> list[Any]:
    return []


class _Incomplete(Exception):
    pass


def _parse(buf: bytes | bytearray, pos: int) -> tuple[Any, int]:
    """One RESP3 value from ``buf`` at ``pos``: (value, next position); raises :class:`_Incomplete`.

    Aggregates come back as (type byte, list), simple strings and errors as (type byte, bytes), blob
    strings as bytes, nulls as None."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete()
    kind = buf[pos]
    line = bytes(buf[pos + 1 : end])
    pos = end + 2
    if kind in b"+-:,(#":
        return (kind, line), pos
    if kind == ord("_"):
        return None, pos
    if kind in b"$=!":
        n = int(line)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            raise _Incomplete()
        return bytes(buf[pos : pos + n]), pos + n + 2
    if kind in b"*>~%|":
        n = int(line)
        if n < 0:
            return None, pos
        count = 2 * n if kind in b"%|" else n
        items = []
        for _ in range(count):
            item, pos = _parse(buf, pos)
            items.append(item)
        return (kind, items), pos
    raise ValueError(f"unexpected RESP3 type {chr(kind)!r}")


class Near:
    """One process's near cache over one Redis, with its invalidation channel (a daemon thread keeps it up).

    ``made_prefix`` is the policy cache's key prefix as the cache backend writes it (``make_key``),
    ``prefix`` the one :mod:`.entries` names keys with: an invalidated key is mapped back by swapping them.
    """

    def __init__(self, connect: Any, made_prefix: str, prefix: str, size: int, seconds: float) -> None:
        self._connect_channel = connect
        self.made_prefix = made_prefix.encode()
        self.prefix = prefix
        self.size = size
        self.seconds = seconds
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[Any, float]] = {}
        self.up = False
        self.closed = False
        self.seq = 0  # invalidations applied
        self.floor = 0  # a ticket older than this may have missed an invalidation
        self.invalidated: dict[str, int] = {}  # key -> seq of its last invalidation
        self.buf = bytearray()
        self.sock: Any = None
        self.connection: Any = None
        self.poller: Any = None
        self.poll: Any = _nothing_to_read
        self.last_heard = 0.0
        self.last_ping = 0.0
        self.changed = threading.Condition(self.lock)  # up or down: for wait_up()
        self.thread = threading.Thread(target=self._run, name="simplejwt_rs near cache", daemon=True)
        self.thread.start()

    # --- the read path ------------------------------------------------------------------------------

    def get(self, keys: list[str]) -> dict[str, Any] | None:
        """Every key's entry, or None (the channel down, a key absent or too old): then read Redis."""
        if not self.up:
            return None
        with self.lock:
            if self.poll(0):
                self._drain()
                if not self.up:
                    return None
            now = _monotonic()
            if now - self.last_heard > SILENCE_SECONDS:
                self._drop(f"silent for {SILENCE_SECONDS}s")
                return None
            found = {}
            entries = self.entries
            for key in keys:
                entry = entries.get(key)
                if entry is None or entry[1] <= now:
                    return None
                found[key] = entry[0]
            return found

    def ticket(self) -> int | None:
        """Taken before reading Redis: :meth:`put` refuses what an invalidation applied since could concern."""
        return self.seq if self.up else None

    def put(self, values: dict[str, Any], ticket: int | None) -> None:
        """Keep entries read from Redis since ``ticket``, unless one of their keys was invalidated since."""
        if ticket is None or not values or not self.up:
            return
        with self.lock:
            if self.poll(0):
                self._drain()
            if not self.up or ticket < self.floor:
                return
            invalidated = self.invalidated
            expires = time.monotonic() + self.seconds
            entries = self.entries
            for key, value in values.items():
                if invalidated.get(key, -1) > ticket:
                    continue
                entries.pop(key, None)
                entries[key] = (value, expires)
            while len(entries) > self.size:
                del entries[next(iter(entries))]

    # --- the channel ----------------------------------------------------------------------------------

    def forget(self) -> None:
        """Empty it, and refuse every put of a read begun before (the lock taken)."""
        with self.lock:
            self.entries.clear()
            self.invalidated.clear()
            self.seq += 1
            self.floor = self.seq  # reads begun before (tickets < seq) are refused

    def wait_up(self, timeout: float) -> bool:
        """Wait until the channel is up (tests, a warm-up); whether it is."""
        with self.changed:
            return self.changed.wait_for(lambda: self.up or self.closed, timeout) and self.up

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._drop(None)
            self.changed.notify_all()

    def _drop(self, why: str | None) -> None:
        """Empty the near cache and close the channel (the lock held); the thread reconnects."""
        was_up = self.up
        self.up = False
        self.entries.clear()
        self.invalidated.clear()
        self.seq += 1
        self.floor = self.seq + 1
        self.buf.clear()
        if self.poller is not None and self.sock is not None:
            try:
                self.poller.unregister(self.sock)
            except (KeyError, ValueError, OSError):
                pass
        connection, self.connection, self.sock = self.connection, None, None
        if connection is not None:
            try:
                connection.disconnect()
            except Exception:  # noqa: BLE001  (closing a broken socket)
                pass
        if was_up and why is not None:
            log.warning("Policy near cache dropped (%s): reads go to Redis until its channel is back", why)
        self.changed.notify_all()

    def _drain(self) -> None:
        """Read what the channel has (the lock held) and apply it; anything wrong drops the near cache."""
        try:
            while True:
                try:
                    chunk = self.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    if type(exc).__name__ == "SSLWantReadError":
                        break
                    raise
                if not chunk:
                    self._drop("closed by the server")
                    return
                self.buf += chunk  # and read again until the socket is empty: a burst may exceed one read
            self.last_heard = time.monotonic()
            buf = self.buf
            pos = 0
            while pos < len(buf):
                try:
                    message, pos2 = _parse(buf, pos)
                except _Incomplete:
                    break
                pos = pos2
                self._apply(message)
                if not self.up:
                    return
            del buf[:pos]
        except Exception as exc:  # noqa: BLE001  (a reset, a parse error: the channel is gone)
            self._drop(f"{type(exc).__name__}: {exc}")

    def _apply(self, message: Any) -> None:
        if type(message) is tuple and message[0] == ord(">"):
            items = message[1]
            if items and items[0] == b"invalidate":
                keys = items[1] if len(items) > 1 else None
                self.seq += 1
                if keys is None:  # FLUSHALL / FLUSHDB: everything
                    self.entries.clear()
                    self.invalidated.clear()
                    self.floor = self.seq
                    return
                if len(self.invalidated) > _REMEMBERED:
                    self.invalidated.clear()
                    self.floor = self.seq
                made, prefix, size = self.made_prefix, self.prefix, len(self.made_prefix)
                for raw in keys[1]:
                    if type(raw) is bytes and raw.startswith(made):
                        key = prefix + raw[size:].decode("utf-8", "surrogateescape")
                        self.entries.pop(key, None)
                        self.invalidated[key] = self.seq
            return  # another push: not ours to act on
        if type(message) is tuple and message[0] == ord("-"):
            self._drop(f"the server answered {message[1]!r}")
        # +PONG and the like: heard

    def _run(self) -> None:
        backoff = RETRY_SECONDS[0]
        while not self.closed:
            try:
                self._open()
                backoff = RETRY_SECONDS[0]
                self._serve()
            except Exception as exc:  # noqa: BLE001  (Redis down, refused, too old: retried)
                with self.lock:
                    self._drop(f"{type(exc).__name__}: {exc}")
                log.debug("Policy near cache channel: %s; retried in %ss", exc, backoff)
            if self.closed:
                return
            time.sleep(backoff)
            backoff = min(backoff * 2, RETRY_SECONDS[1])

    def _open(self) -> None:
        connection = self._connect_channel()
        try:
            connection.send_command("CLIENT", "SETNAME", "simplejwt_rs-near-cache")
            connection.read_response()
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.made_prefix)
            reply = connection.read_response()
            if reply not in (b"OK", "OK"):
                raise ConnectionError(f"CLIENT TRACKING answered {reply!r}")
            sock = connection._sock
            sock.setblocking(False)
        except BaseException:
            connection.disconnect()
            raise
        with self.lock:
            if self.closed:
                connection.disconnect()
                return
            self.connection, self.sock = connection, sock
            self.poller = select.poll()
            self.poller.register(sock, _READY)
            self.poll = self.poller.poll
            self.buf.clear()
            self.entries.clear()
            self.invalidated.clear()
            self.seq += 1
            self.floor = self.seq  # only reads that began from now on
            self.last_heard = self.last_ping = time.monotonic()
            self.up = True
            self.changed.notify_all()

    def _serve(self) -> None:
        # A poll object of this thread's own (one object polled by two threads at once raises), not select():
        # a socket's number may be past FD_SETSIZE in a busy process.
        waiter = select.poll()
        first = self.sock
        if first is None:
            return
        waiter.register(first, _READY)
        while True:
            sock = self.sock
            if sock is None or self.closed:
                return
            try:
                readable = waiter.poll(_WAKE_SECONDS * 1000)
            except (OSError, ValueError, RuntimeError):
                readable = [sock]  # closed meanwhile: the drain says so
            with self.lock:
                if not self.up or self.sock is not sock:
                    return
                if readable:
                    self._drain()
                if not self.up:
                    return
                now = time.monotonic()
                if now - self.last_ping >= PING_SECONDS:
                    self.last_ping = now
                    try:
                        sock.send(_PING)
                    except OSError as exc:
                        self._drop(f"{type(exc).__name__}: {exc}")
                        return
                if now - self.last_heard > SILENCE_SECONDS:
                    self._drop(f"silent for {SILENCE_SECONDS}s")
                    return


# --- the process's near cache, per settings value ---------------------------------------------------------

_lock = threading.Lock()
_near: Near | None = None
_decided = False  # for this settings value: _near is it (None: off)


def current() -> Near | None:
    """The process's near cache, made on first use; None when it is off (settings, backend)."""
    if _decided:
        return _near
    return _make()


def _make() -> Near | None:
    global _near, _decided
    with _lock:
        if _decided:
            return _near
        near = None
        alias = remember().alias
        size = get("POLICY_NEAR_CACHE")
        if alias is not None and size:
            cache = caches[alias]
            why = unavailable(cache)
            if why is not None:
                log.info("Policy near cache off: %s", why)
            else:
                connect = _channel_factory(cache)
                near = Near(connect, cache.make_key(PREFIX), PREFIX, size, float(get("POLICY_NEAR_CACHE_SECONDS")))
        _near, _decided = near, True
        return near


def unavailable(cache: Any) -> str | None:
    """Why the near cache cannot run over ``cache`` (None: it can); the system check says it too (W090)."""
    if type(cache) is not RedisCache:
        return f"the cache is a {type(cache).__module__}.{type(cache).__qualname__}, not Django's RedisCache"
    if cache.make_key(PREFIX + "x") != cache.make_key(PREFIX) + "x":
        return "the cache's KEY_FUNCTION does not keep a key's prefix (Redis tracks keys by prefix)"
    if _channel_factory(cache) is None:
        return "this Django's RedisCache keeps no connection pool where we look for it"
    return None


def forget() -> None:
    """Empty this process's near cache (the channel stays up): the policy cache failed here."""
    near = _near
    if near is not None:
        near.forget()


def _channel_factory(cache: Any) -> Callable[[], Any] | None:
    """How to open a RESP3 connection to the server the policy cache writes through (the first listed)."""
    try:
        pool = cache._cache._get_connection_pool(True)
        kwargs = dict(pool.connection_kwargs)
        connection_class = pool.connection_class
    except AttributeError:  # a Django whose RedisCache is built otherwise
        return None

    def connect() -> Any:
        connection = connection_class(**{**kwargs, "protocol": 3})
        connection.connect()
        return connection

    return connect


def reset(**kwargs: Any) -> None:
    """Close the near cache (settings changed, tests); the next lookup makes it anew."""
    global _near, _decided
    with _lock:
        near, _near, _decided = _near, None, False
    if near is not None:
        near.close()


def settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SIMPLE_JWT", "CACHES", "AUTH_USER_MODEL"):  # AUTH_USER_MODEL: rows kept of another model
        reset()


def _after_fork() -> None:
    """A forked child never shares its parent's channel (nor its thread, which did not survive the fork)."""
    global _near, _decided, _lock
    _lock = threading.Lock()
    _near, _decided = None, False


os.register_at_fork(after_in_child=_after_fork)

__all__ = ["Near", "current", "reset"]
