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
moved meanwhile (:func:`_rewrite`): so neither a fill that read the database
before the commit nor another server's write-through racing this one can leave
an entry older than the database in the cache.

The cache failing never widens access: any cache error opens a short circuit
breaker (:data:`BREAKER_SECONDS`) during which every check takes the database
path, as the cache's fill does; writes that could not reach the cache are kept
in this process and replayed before its next use of the cache.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from rest_framework_simplejwt.utils import get_md5_hash_password

from . import errors
from .errors import DELETED, INACTIVE, PASSWORD_CHANGED, RULE_REFUSED, Refuse, UserRefused
from .models import RevokedTokenFamily
from .policy import allows, canonical_user_id, find_user, mark_of, pk_claim, revoked_by_mark, token_user
from .settings import get

log = logging.getLogger("simplejwt_rs.policy_cache")

PREFIX = "simplejwt_rs:policy:1:"
# How long a failed cache call keeps every request on the database path before the cache is tried again.
BREAKER_SECONDS = 2.0
# Added to the longest token lifetime: entries outlive every token they could refuse.
MARGIN_SECONDS = 60

_ALLOWED = "ok"
_lock = threading.Lock()
_down_until = 0.0
# Writes that failed: key -> (value, ttl), value None = delete, _REFILL = a user's entry. Replayed before
# the cache is used again.
_pending: dict[str, tuple[Any, float]] = {}
# A user's entry is replayed from the database as it is then (:func:`_rewrite`), never from a value kept
# since the failure: another server may have written a later state (a "revoked before" mark) meanwhile.
_REFILL = object()


class Unavailable(Exception):
    """The cache failed (or the breaker is open): take the database path."""


# --- the cache and its breaker ----------------------------------------------------------------------


class _Settings:
    """The settings a check reads, read once per value of ``SIMPLE_JWT`` and ``CACHES`` (not per request)."""

    __slots__ = ("alias", "check_revoke", "family_claim", "pk_claim", "revoke_claim", "user_id_claim")

    def __init__(self) -> None:
        self.alias = get("POLICY_CACHE")
        self.user_id_claim = get("USER_ID_CLAIM")
        self.family_claim = get("TOKEN_FAMILY_CLAIM")
        self.check_revoke = bool(get("CHECK_REVOKE_TOKEN"))
        self.revoke_claim = get("REVOKE_TOKEN_CLAIM")
        self.pk_claim = pk_claim()


_settings: _Settings | None = None


def _remember() -> _Settings:
    global _settings
    current = _settings
    if current is None:
        current = _settings = _Settings()
    return current


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _settings
    if setting in ("SIMPLE_JWT", "CACHES"):  # POLICY_CACHE is checked against CACHES
        _settings = None


def enabled() -> bool:
    return _remember().alias is not None


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value or 0)


def ttl() -> float:
    """Every entry's lifetime: the longest access or sliding token lifetime, the leeway, and a margin."""
    longest = max(_seconds(get("ACCESS_TOKEN_LIFETIME")), _seconds(get("SLIDING_TOKEN_LIFETIME")))
    return longest + _seconds(get("LEEWAY")) + MARGIN_SECONDS


def _trip(exc: BaseException) -> None:
    global _down_until
    with _lock:
        was_up = _down_until <= time.monotonic()
        _down_until = time.monotonic() + BREAKER_SECONDS
    if was_up:
        log.warning(
            "Policy cache %r failed (%s); the database decides for %ss", get("POLICY_CACHE"), exc, BREAKER_SECONDS
        )


def breaker_open() -> bool:
    return _down_until > time.monotonic()


def _cache() -> Any:
    """The configured cache, with failed writes replayed; raises :class:`Unavailable` while the breaker is open."""
    if breaker_open():
        raise Unavailable()
    cache = caches[_remember().alias]
    if _pending:
        with _lock:
            replay = dict(_pending)
            _pending.clear()
        try:
            deletes = [key for key, (value, _t) in replay.items() if value is None]
            if deletes:
                cache.delete_many(deletes)
            for key, (value, seconds) in replay.items():
                if value is not None and value is not _REFILL:
                    cache.set(key, value, seconds)
        except Exception as exc:
            with _lock:
                for key, entry in replay.items():
                    _pending.setdefault(key, entry)
            _trip(exc)
            raise Unavailable() from exc
        for key, (value, _t) in replay.items():
            if value is _REFILL:
                _rewrite(key[len(_USER_PREFIX) :])  # a failure here is kept for replay again, and trips
        if breaker_open():
            raise Unavailable()
    return cache


def _write(values: dict[str, Any], seconds: float) -> None:
    """Write through (``set``; a value None deletes); on failure keep the writes for replay."""
    if not values:
        return
    try:
        cache = _cache()
        deletes = [key for key, value in values.items() if value is None]
        sets = {key: value for key, value in values.items() if value is not None}
        if deletes:
            cache.delete_many(deletes)
        if sets:
            cache.set_many(sets, seconds)
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
        _cache().add(key, value, ttl())
    except Unavailable:
        pass
    except Exception as exc:
        _trip(exc)


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
                    found[key] = _JUNK
        return found


_READER = "_simplejwt_rs_policy_reader"
# A value that could not be decoded: an entry of no shape we write, so a miss (the database decides).
_JUNK = object()


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


def _read(keys: list[str]) -> dict[str, Any]:
    """``get_many``; a failing cache trips the breaker and raises :class:`Unavailable`."""
    if not keys:
        return {}
    try:
        cache = _cache()
        return _get_many(cache)(keys)
    except Unavailable:
        raise
    except Exception as exc:
        _trip(exc)
        raise Unavailable() from exc


def _refuse_revoked_family(found: dict[str, Any], family: Any) -> None:
    """The family's cached answer (a cold entry filled from the database); raises if it is revoked.

    An entry that is not a bool (junk: ``0``, ``""``, a string...) is a miss: the database decides, and a
    revocation it holds is written over the junk (a family is never un-revoked, so that ``set`` cannot
    race anything into a wrong answer).  Junk over a family the database does not revoke is left to expire:
    replacing it with ``False`` could land over a concurrent revocation's ``True``.
    """
    key = family_key(family)
    revoked = found.get(key)
    if revoked is None:
        revoked = family_revoked_in_db(family)
        _fill(key, revoked)
    elif type(revoked) is not bool:
        _junk(key, revoked)
        revoked = family_revoked_in_db(family)
        if revoked:
            _write({key: True}, ttl())
    if revoked:
        raise errors.TokenFamilyRevoked()


def _junk(key: str, value: Any) -> None:
    log.warning(
        "Policy cache entry %r holds a value of an unexpected shape (%s): ignored, the database decides",
        key,
        type(value).__name__,
    )


_USER_PREFIX = f"{PREFIX}u:"


def user_key(user_id: Any) -> str:
    return f"{_USER_PREFIX}{user_id}"


def family_key(family: Any) -> str:
    return f"{PREFIX}f:{family}"


# --- what is cached -------------------------------------------------------------------------------


# A user's entry: (verdict, detail, detail, mark); the mark (epoch seconds or None) is always the last of four.
_ENTRY_LENGTH = 4


def well_formed(state: Any) -> bool:
    """Whether ``state`` is a user's entry as :func:`state_of` writes it (a list too: a JSON serializer's
    tuple).  Anything else (junk, another release's entry) is a miss: never an allow, never an exception."""
    if type(state) not in (tuple, list) or len(state) != _ENTRY_LENGTH:
        return False
    verdict, first, second, mark = state
    if type(verdict) is not str or not _is_mark(mark):
        return False
    if verdict == DELETED:
        return first is None and second is None and mark is None
    if verdict == INACTIVE:
        return first is None and second is None
    if verdict == RULE_REFUSED:
        return type(first) is str and type(second) is str
    # An allowed entry names the account's pk (policy.token_account); one without it is an older release's.
    return verdict == _ALLOWED and type(first) is str and type(second) is str


def _is_mark(mark: Any) -> bool:
    """None, or a finite time (int or float; never a bool, NaN, an infinity or "123")."""
    return mark is None or (type(mark) in (int, float) and math.isfinite(mark))


def state_of(user: Any, mark: float | None = None) -> tuple[Any, ...]:
    """The policy's verdict on ``user`` (None: no such user) and its "revoked before" mark, as cached."""
    if user is None:
        return (DELETED, None, None, None)
    try:
        allowed = allows(user)
    except Refuse as refusal:
        return (RULE_REFUSED, str(refusal.message), str(refusal.code), mark)
    if not allowed:
        return (INACTIVE, None, None, mark)
    # The account's pk: a token bound to another account (policy.token_account) names nobody.
    return (_ALLOWED, get_md5_hash_password(user.password), str(user.pk), mark)


def _state_from_db(user_id: Any) -> tuple[Any, ...]:
    """The user's entry as the database has it (two queries: the user row, the mark)."""
    try:
        user = find_user(user_id)
    except UserRefused:
        return state_of(None)
    return state_of(user, mark_of(user))


def family_revoked_in_db(family: Any) -> bool:
    return RevokedTokenFamily.objects.filter(family=str(family)).exists()


def _family(claims: dict[str, Any]) -> str | None:
    claim = _remember().family_claim
    family = claims.get(claim) if claim else None
    if isinstance(family, bool) or not isinstance(family, (str, int)) or not str(family) or len(str(family)) > 255:
        return None
    return str(family)


def _refuse(state: Any, claims: dict[str, Any], now: _Settings) -> None:
    """Refuse as a (well-formed, see :func:`_entry`) cached entry says."""
    verdict = state[0]
    if verdict == DELETED:
        raise UserRefused(DELETED)
    if verdict == RULE_REFUSED:
        refusal = Refuse(state[1], state[2])
        raise UserRefused(RULE_REFUSED, None, refusal)
    if verdict == INACTIVE:
        raise UserRefused(INACTIVE)
    if now.pk_claim is not None and claims.get(now.pk_claim) != state[2]:
        raise UserRefused(DELETED)
    if now.check_revoke and claims.get(now.revoke_claim) != state[1]:
        raise UserRefused(PASSWORD_CHANGED)


# --- checks -----------------------------------------------------------------------------------------


def check(claims: dict[str, Any]) -> None:
    """The whole policy for a verified token's claims: zero SQL queries when the cache is warm.

    Raises :class:`~simplejwt_rs.errors.UserRefused` (as :func:`~simplejwt_rs.policy.token_user`
    does) or :class:`~simplejwt_rs.errors.TokenFamilyRevoked`.  When the cache fails, the
    database decides (the user row, the rule, the revoked families).
    """
    now = _remember()
    claim = now.user_id_claim
    user_id = canonical_user_id(claims.get(claim)) if claim in claims else None
    family = _family(claims)
    if claim in claims and user_id is None:
        raise UserRefused(DELETED)
    keys = [] if user_id is None else [user_key(user_id)]
    if family is not None:
        keys.append(family_key(family))
    try:
        found = _read(keys)
        if user_id is not None:
            state = _entry(found, user_id)
            _refuse(state, claims, now)
            if revoked_by_mark(claims, state[3]):
                raise errors.TokenFamilyRevoked()
        if family is not None:
            _refuse_revoked_family(found, family)
    except Unavailable:
        check_in_db(claims)


def _entry(found: dict[str, Any], user_id: Any) -> Any:
    """The user's cached entry, or (cold, evicted) the database's, filled into the cache.

    An entry of any other shape (junk, another release's) raises :class:`Unavailable`: the database decides
    the request, and the entry is rewritten from the database once the transaction commits
    (:func:`_rewrite`, as a write-through is, so that no concurrent change is overwritten).
    """
    key = user_key(user_id)
    state = found.get(key)
    if state is None:
        state = _state_from_db(user_id)
        _fill(key, state)
    elif not well_formed(state):
        _junk(key, state)
        transaction.on_commit(lambda: _rewrite(user_id))
        raise Unavailable()
    return state


def check_in_db(claims: dict[str, Any]) -> None:
    """The database path: the policy on the user row, the user's "revoked before" mark, the token's family."""
    token_user(claims, revocations=True)
    family = _family(claims)
    if family is not None and family_revoked_in_db(family):
        raise errors.TokenFamilyRevoked()


def _mark_in_db(user_id: Any) -> float | None:
    try:
        return mark_of(find_user(user_id))
    except UserRefused:
        return None


def check_revocations(claims: dict[str, Any]) -> None:
    """Only the revocations (for :class:`JWTAuthentication`, which applies the policy to the user row):
    the user's "revoked before" mark (from the user's entry) and the token's family."""
    claim = _remember().user_id_claim
    user_id = canonical_user_id(claims.get(claim)) if claim in claims else None
    family = _family(claims)
    keys = [] if user_id is None else [user_key(user_id)]
    if family is not None:
        keys.append(family_key(family))
    try:
        found = _read(keys)
        mark = None
        if user_id is not None:
            state = _entry(found, user_id)  # of another shape: Unavailable, the database decides
            if state[0] == DELETED:
                # "Deleted" for a user the caller just loaded (a rolled-back delete): the database.
                mark = _mark_in_db(user_id)
            else:
                mark = state[3]
    except Unavailable:
        mark = None if user_id is None else _mark_in_db(user_id)
        found = None
    if revoked_by_mark(claims, mark):
        raise errors.TokenFamilyRevoked()
    if family is not None:
        if found is None:
            if family_revoked_in_db(family):
                raise errors.TokenFamilyRevoked()
        else:
            _refuse_revoked_family(found, family)


# --- write-through ----------------------------------------------------------------------------------


def families_revoked(families: Iterable[Any]) -> None:
    """Write through: these families are revoked (called by the store once they are in the database)."""
    if enabled():
        _write({family_key(family): True for family in families}, ttl())


def user_tokens_revoked(user: Any, now: float) -> None:
    """Write through: the user's mark moved (in the database, by the store); the entry follows once it commits.

    Deleted at once too, so that this process's next request (in the transaction, if one is open) fills
    it from the database; other servers' fills before the commit are overwritten by :func:`_rewrite`.
    """
    forget_user(user)


def _rewrite(user_id: Any) -> None:
    """``set`` the user's entry as the (committed) database has it; again while the database moves meanwhile.

    A fill (``add``) that read the database before the commit either lands first and is overwritten here,
    or finds this entry and does nothing.  Two servers rewriting one entry at once (a revocation and a save
    of the same user): whichever ``set`` lands last was read before the other's commit only if the read
    that follows it sees a change, and then it is written again; a rewrite that reads back what it wrote
    left the entry as the database had it after every commit its ``set`` could have raced.
    """
    key = user_key(user_id)
    state = _state_from_db(user_id)
    for _attempt in range(5):
        _write({key: state}, ttl())
        again = _state_from_db(user_id)
        if again == state:
            return
        state = again
    _write({key: None}, ttl())  # still moving: let the next request fill it


def _user_id(user: Any) -> str:
    return str(getattr(user, get("USER_ID_FIELD")))


def forget_user(user: Any) -> None:
    """Write the user's current state through now and once the transaction commits.

    The one call for a change no signal reports: ``QuerySet.update()``, ``bulk_update()``, raw SQL, a
    related model the rule reads.  Without ``POLICY_CACHE`` it does nothing, so it is safe to call always.
    """
    if enabled():
        _forget([_user_id(user)])


def _forget(user_ids: list[str]) -> None:
    """Delete these users' entries now; rewrite each from the database once the transaction commits."""
    if not user_ids:
        return
    _write({user_key(user_id): None for user_id in user_ids}, ttl())
    transaction.on_commit(functools.partial(_rewrite_all, user_ids))


def _rewrite_all(user_ids: list[str]) -> None:
    for user_id in user_ids:
        _rewrite(user_id)


# --- signals ------------------------------------------------------------------------------------------


def _is_user_model(sender: Any) -> bool:
    try:
        return sender is get_user_model()
    except Exception:  # noqa: BLE001  (no user model yet: nothing to write through)
        return False


def _pre_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A USER_ID_FIELD that is not the primary key may change: the old id's entry must go too.
    if not enabled() or not _is_user_model(sender) or instance.pk is None or kwargs.get("raw"):
        return
    name = get("USER_ID_FIELD")
    if name == sender._meta.pk.name:
        return
    old = sender._default_manager.filter(pk=instance.pk).values_list(name, flat=True).first()
    if old is not None and str(old) != str(getattr(instance, name)):
        _write({user_key(old): None}, ttl())


def _post_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not enabled() or kwargs.get("raw"):
        return
    if _is_user_model(sender):
        forget_user(instance)
    elif not kwargs.get("created"):  # a group renamed: a rule may read its name
        _forget(_member_ids(sender, [instance.pk]))


@functools.cache
def _membership_lookups(model: Any, user_model: Any) -> tuple[str, ...]:
    """The lookups from the user model to ``model`` through an auto-created many-to-many table (``groups``,
    ``user_permissions``, a ``members`` field of the project's): rows Django deletes without a signal."""
    if model is user_model:
        return ()
    found = []
    for field in user_model._meta.many_to_many:  # the user's side: User.groups, User.user_permissions
        if field.remote_field.model is model and field.remote_field.through._meta.auto_created:
            found.append(field.name)
    for field in model._meta.many_to_many:  # the other side: e.g. Team.members = ManyToManyField(User)
        if field.remote_field.model is user_model and field.remote_field.through._meta.auto_created:
            found.append(field.related_query_name())
    return tuple(found)


def _member_ids(sender: Any, pks: Iterable[Any]) -> list[str]:
    """The ``USER_ID_FIELD`` values of the users linked by a many-to-many table to the ``sender`` rows ``pks``."""
    try:
        User = get_user_model()
    except Exception:  # noqa: BLE001  (no user model yet: nothing to write through)
        return []
    model = getattr(getattr(sender, "_meta", None), "concrete_model", None)
    pks = [pk for pk in pks if pk is not None]
    lookups = _membership_lookups(model, User) if model is not None and pks else ()
    if not lookups:
        return []
    members = models.Q()
    for lookup in lookups:
        members |= models.Q(**{f"{lookup}__in": pks})
    ids = User._default_manager.filter(members).values_list(get("USER_ID_FIELD"), flat=True).distinct()
    return [str(user_id) for user_id in ids]


def _linked_pks(through: Any, instance: Any, model: Any) -> list[Any]:
    """The ``model`` rows a many-to-many table (``through``) links to ``instance`` now."""
    relations = [f for f in through._meta.fields if f.is_relation]
    mine = [f for f in relations if f.related_model is type(instance)._meta.concrete_model]
    other = [f for f in relations if f.related_model is model._meta.concrete_model]
    if len(mine) != 1 or len(other) != 1 or mine[0] is other[0]:
        return []  # self-referential (or unusual) tables: only the instance's own members are known
    rows = through._default_manager.filter(**{mine[0].attname: instance.pk})
    return list(rows.values_list(other[0].attname, flat=True))


def _linked_changed(sender: Any, instance: Any, action: str, model: Any, pk_set: Any) -> None:
    """A many-to-many between two models users are linked to changed (a group's permissions, from either
    side): the members of both ends are written through."""
    if action == "pre_clear":  # post_clear names nobody: look while the rows are there (inside clear()'s atomic)
        linked = _membership_lookups(model._meta.concrete_model, get_user_model())
        pk_set = _linked_pks(sender, instance, model) if linked else ()
    elif action not in ("post_add", "post_remove"):
        return
    _forget(sorted({*_member_ids(type(instance), [instance.pk]), *_member_ids(model, pk_set or ())}))


def _pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A group (a permission, any model users are linked to) deleted, directly or by a cascade: Django
    deletes the membership rows without ``m2m_changed``, so its members are written through here, while
    the rows can still be read (and once the deletion commits)."""
    if enabled() and not _is_user_model(sender):
        _forget(_member_ids(sender, [instance.pk]))


def _post_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if enabled() and _is_user_model(sender):
        user_id = _user_id(instance)
        _write({user_key(user_id): state_of(None)}, ttl())
        transaction.on_commit(lambda: _rewrite(user_id))


def _m2m_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A user's groups or permissions changed (from either side): the rule may read them."""
    if not enabled():
        return
    User = get_user_model()
    if isinstance(instance, User):
        if action in ("post_add", "post_remove", "post_clear"):
            forget_user(instance)
        return
    model: Any = kwargs.get("model")  # Any, not Optional: `is not` would narrow User to it
    if model is not User:
        _linked_changed(sender, instance, action, model, pk_set)
        return
    if action == "pre_clear":  # group.user_set.clear(): post_clear names nobody, so look now
        accessor = getattr(instance, "_simplejwt_rs_cleared", None)
        if accessor is None:
            field = next(f for f in sender._meta.get_fields() if getattr(f, "related_model", None) is User)
            other = next(f for f in sender._meta.get_fields() if f.is_relation and f.related_model is type(instance))
            ids = sender._default_manager.filter(**{other.name: instance}).values_list(field.attname, flat=True)
            instance._simplejwt_rs_cleared = list(ids)
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_simplejwt_rs_cleared", None) or ()
        instance.__dict__.pop("_simplejwt_rs_cleared", None)
    elif action not in ("post_add", "post_remove"):
        return
    for user in User._default_manager.filter(pk__in=list(pk_set or ())):
        forget_user(user)


setting_changed.connect(_settings_changed, dispatch_uid="simplejwt_rs.policy_cache.settings_changed")
post_save.connect(_post_save, dispatch_uid="simplejwt_rs.policy_cache.post_save")
pre_save.connect(_pre_save, dispatch_uid="simplejwt_rs.policy_cache.pre_save")
post_delete.connect(_post_delete, dispatch_uid="simplejwt_rs.policy_cache.post_delete")
pre_delete.connect(_pre_delete, dispatch_uid="simplejwt_rs.policy_cache.pre_delete")
m2m_changed.connect(_m2m_changed, dispatch_uid="simplejwt_rs.policy_cache.m2m_changed")
