"""The token store: the only code that writes upstream's outstanding/blacklist tables and ours.

Upstream's ``token_blacklist`` tables say which tokens exist and which are
blacklisted.  Ours (:mod:`simplejwt_rs.models`) add what they cannot express:
which refresh token was *consumed* (by a rotation, or by logging out) and
which token families were revoked (RFC 9700 section 4.14.2).

- A token *family* starts with a refresh token from obtain (the family id is
  its jti) and travels across every rotation, both in ``TOKEN_FAMILY_CLAIM``
  and in the rotation records; where they disagree (the claim was renamed,
  or the token predates the store) the records win.
- :func:`consume` is the one consume-once primitive: refresh (which records
  a successor) and logout (which records none) both insert the presented
  token's row, whose ``parent_jti`` is unique, conditional on its family not
  being revoked and the token not being blacklisted.  One statement decides;
  of any number of concurrent refreshes and logouts of one token exactly one
  commits.
- A consumed token presented again, at refresh, logout or verify, is a reuse:
  :func:`refuse_reuse` revokes its family (two statements whatever its size),
  sends :data:`~simplejwt_rs.signals.refresh_token_reused` and always raises.
- No table holds a usable token: upstream's ``OutstandingToken.token`` column
  gets :func:`not_a_token` (a marker naming the jti) on every write, ours and
  upstream's own (:func:`redact_outstanding`, a ``pre_save`` receiver), and
  migration 0004 rewrites the rows written before.  Every record is keyed by
  jti; nothing reads the column.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)
from django.db.migrations.loader import MigrationLoader
from django.db.models import Exists, OuterRef
from django.db.models.signals import pre_save
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from . import errors, events, policy
from . import settings as jwt_settings
from ._core import new_jti
from .errors import DatabaseUnavailable, TokenAlreadyRotated, TokenFamilyRevoked, TokenReused, TokenStoreBusy
from .models import RevokedTokenFamily, RevokedUserTokens, RotatedRefreshToken, TokenSession
from .settings import get
from .signals import refresh_token_reused, user_tokens_revoked

# The logger keeps the name it had before the store had a module of its own.
log = logging.getLogger("simplejwt_rs.rotation")

# CharField(max_length=255) in our tables and in upstream's OutstandingToken.
MAX_ID_LENGTH = 255

# Told of each revocation once it is in the database: ``listener(families, user)``, ``families`` a function
# listing the revoked families (a query run only by a listener that needs it), ``user`` the account logged
# out everywhere or None.  POLICY_CACHE's write-through registers here at ready (apps.py), and hears before
# the signals' receivers do; the store imports no cache.
RevocationListener = Callable[[Callable[[], Iterable[str]], Any], None]
_revocation_listeners: list[RevocationListener] = []


def on_revocation(listener: RevocationListener) -> None:
    if listener not in _revocation_listeners:
        _revocation_listeners.append(listener)


def _tell_revoked(families: Callable[[], Iterable[str]], user: Any = None) -> None:
    for listener in _revocation_listeners:
        listener(families, user)


# --- when the store is in use ------------------------------------------------------------------


def rotation_active() -> bool:
    """Whether refreshes are single-use with reuse detection (rotation, blacklisting, a jti, the tables)."""
    return bool(
        get("ROTATE_REFRESH_TOKENS")
        and get("BLACKLIST_AFTER_ROTATION")
        and get("JTI_CLAIM") is not None
        and jwt_settings.blacklist_installed()
    )


def reuse_detection() -> bool:
    setting = get("REFRESH_TOKEN_REUSE_DETECTION")
    return True if setting is None else setting


def family_claim() -> str | None:
    """The claim a new refresh token carries its family id in, or None when families are off."""
    return get("TOKEN_FAMILY_CLAIM") if rotation_active() else None


# --- token content the store relies on ----------------------------------------------------------


def _id(value: Any) -> str:
    """A jti or family id as stored; anything else in a (validly signed) token is invalid, not a 500."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise errors.invalid()
    text = str(value)
    if not text or len(text) > MAX_ID_LENGTH:
        raise errors.invalid()
    return text


def _dt(epoch: Any) -> datetime:
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)):
        raise errors.invalid()
    try:
        return datetime_from_epoch(epoch)  # aware or naive, as USE_TZ says: what the database takes
    except (OverflowError, ValueError, OSError) as exc:  # beyond year 9999, or not finite
        raise errors.invalid() from exc


def identify(claims: dict[str, Any]) -> tuple[str, str]:
    """(jti, family by the claim) of a verified refresh token; a token without the claim starts its own."""
    jti = _id(claims.get(get("JTI_CLAIM")))
    claim = get("TOKEN_FAMILY_CLAIM")
    family = claims.get(claim) if claim else None
    return jti, (jti if family is None else _id(family))


def _blacklist_models() -> tuple[Any, Any]:
    """(OutstandingToken, BlacklistedToken): upstream's models exist only with its token_blacklist app."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    return OutstandingToken, BlacklistedToken


def _param(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _tables() -> dict[str, str]:
    OutstandingToken, BlacklistedToken = _blacklist_models()
    q = connection.ops.quote_name
    return {
        "rotated": q(RotatedRefreshToken._meta.db_table),
        "revoked": q(RevokedTokenFamily._meta.db_table),
        "outstanding": q(OutstandingToken._meta.db_table),
        "blacklisted": q(BlacklistedToken._meta.db_table),
        "bl_token": q(BlacklistedToken._meta.get_field("token").column),
    }


def _insert_ignoring_conflicts(sql: str) -> str:
    """``INSERT ...`` that skips rows violating a unique constraint, in this database's dialect."""
    if connection.vendor in ("sqlite", "postgresql"):
        return f"{sql} ON CONFLICT DO NOTHING"
    if connection.vendor == "mysql":
        return sql.replace("INSERT INTO", "INSERT IGNORE INTO", 1)
    return sql


# --- when the database fails: one guard for every entry point -----------------------------------

# SQLSTATEs (PostgreSQL) and error numbers (MySQL): a lock not granted in time, a deadlock, a serialization
# failure, a statement or lock timeout. The transaction rolled back; the same request can be retried.
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001", "57014"})
BUSY_MYSQL_ERRORS = frozenset({1205, 1213})
BUSY_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
# A table or column that is not there: a migration was not applied (a misconfiguration, not an outage).
MISSING_SQLSTATES = frozenset({"42P01", "42703"})
MISSING_MYSQL_ERRORS = frozenset({1146, 1054})
MISSING_SQLITE_MESSAGES = ("no such table", "no such column", "has no column named")
# The apps whose tables the store reads and writes.
STORE_APPS = ("simplejwt_rs", "token_blacklist")

database_log = logging.getLogger("simplejwt_rs.database")


def _driver_error(exc: BaseException) -> tuple[str | None, int | None, str]:
    """(SQLSTATE, MySQL error number, message) of a database error Django wrapped."""
    cause = exc.__cause__ or exc
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    number = cause.args[0] if cause.args and isinstance(cause.args[0], int) else None
    return state, number, str(exc)


def missing_schema(exc: BaseException) -> bool:
    """The error says a table or column is missing: a migration was not applied."""
    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return False
    state, number, message = _driver_error(exc)
    return (
        state in MISSING_SQLSTATES
        or number in MISSING_MYSQL_ERRORS
        or any(text in message for text in MISSING_SQLITE_MESSAGES)
    )


def lock_timeout(exc: BaseException) -> bool:
    """The database was up but could not take the statement in time (a lock, a deadlock, a timeout)."""
    state, number, message = _driver_error(exc)
    return state in BUSY_SQLSTATES or number in BUSY_MYSQL_ERRORS or message.startswith(BUSY_SQLITE_MESSAGES)


def _unapplied(conn: Any) -> list[str]:
    loader = MigrationLoader(conn, ignore_no_migrations=True)
    labels = [label for label in STORE_APPS if label in loader.migrated_apps]
    plan: list[tuple[str, str]] = []
    for leaf in loader.graph.leaf_nodes():
        if leaf[0] in labels:
            for node in loader.graph.forwards_plan(leaf):
                if node[0] in labels and node not in loader.applied_migrations and node not in plan:
                    plan.append(node)
    return [f"{app}.{name}" for app, name in plan]


def unapplied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations of the store's apps (ours, upstream's token_blacklist) not applied on ``using``,
    as ``app_label.migration_name``, in the order ``migrate`` would apply them."""
    try:
        return _unapplied(connections[using])
    except DatabaseError:
        # The request's transaction may be aborted by the very error being reported: ask on a connection of its own.
        fresh = connections.create_connection(using)
        try:
            return _unapplied(fresh)
        finally:
            fresh.close()


def _report_missing_schema(what: str, exc: BaseException) -> None:
    try:
        missing = ", ".join(unapplied_migrations()) or "none found (was a table dropped?)"
    except DatabaseError as lookup:
        missing = f"unknown ({lookup})"
    database_log.error(
        "%s failed: a table or column is missing (%s). Unapplied migrations of the token store: %s. "
        "Run `python manage.py migrate`.",
        what,
        exc,
        missing,
    )


_DATABASE_ERRORS = (OperationalError, InterfaceError, ProgrammingError)
_F = TypeVar("_F", bound=Callable[..., Any])


class database_guard:  # noqa: N801  (used as a function: ``@database_guard(what)``, ``with database_guard(what)``)
    """How every entry point (the token serializers, the authentication classes, the views, the store's
    public writes) answers a failing database; ``what`` names the entry point in the log.

    - a lock not granted in time (SQLite's "database is locked", a PostgreSQL lock or statement timeout,
      a deadlock): 503 ``token_store_busy``; the transaction rolled back, so a retry is safe;
    - a missing table or column (``migrate`` not run): the error itself (a 500), logged with the
      unapplied migrations by name: retrying cannot help;
    - any other ``OperationalError``/``InterfaceError`` (the database down, restarting, the connection
      dropped): 503 ``database_unavailable``.

    Both 503s carry ``{"detail", "code"}`` and ``Retry-After: 1``; each is logged once, with the
    database's own message.

    A decorator (the function is wrapped once, in a plain ``try``: it sits on every authenticated request's
    path) and a context manager.
    """

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, function: _F) -> _F:
        what = self.what

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except _DATABASE_ERRORS as exc:
                answer = _database_answer(what, exc)
                if answer is None:
                    raise
                raise answer from exc

        return guarded  # type: ignore[return-value]

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> None:
        if exc is not None and isinstance(exc, _DATABASE_ERRORS):
            answer = _database_answer(self.what, exc)
            if answer is not None:
                raise answer from exc


def _database_answer(what: str, exc: BaseException) -> Exception | None:
    """The 503 that answers ``exc`` (logged), or None: ``exc`` itself goes on (logged, when it is ours to)."""
    if getattr(exc, "_simplejwt_rs_reported", False):  # an inner guard logged it already
        return None
    exc._simplejwt_rs_reported = True  # type: ignore[attr-defined]
    if missing_schema(exc):
        _report_missing_schema(what, exc)
        return None
    if isinstance(exc, ProgrammingError):
        return None
    if lock_timeout(exc):
        database_log.warning("%s: the database could not take it in time (%s): 503 token_store_busy", what, exc)
        return TokenStoreBusy()
    database_log.error(
        "%s: the database is unavailable (%s: %s): 503 database_unavailable", what, type(exc).__name__, exc
    )
    return DatabaseUnavailable()


# --- upstream's tables ---------------------------------------------------------------------------


def is_blacklisted(jti: Any) -> bool:
    if jti is None or not jwt_settings.blacklist_installed():
        return False
    return _blacklist_models()[1].objects.filter(token__jti=_id(jti)).exists()


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value or 0)


def leeway() -> timedelta:
    """``LEEWAY``: how long after its ``exp`` a token is still accepted, so how long its records must stay."""
    return timedelta(seconds=max(0.0, _seconds(get("LEEWAY"))))


def _past_exp(claims: dict[str, Any], now: float) -> bool:
    """The token is inside its leeway: ``exp`` has passed, ``exp + LEEWAY`` has not (or it would not decode)."""
    exp = claims.get("exp")
    return isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp <= now


def _record_gone(claims: dict[str, Any], now: float) -> bool:
    """A token inside its leeway whose OutstandingToken row is gone.

    Upstream's ``flushexpiredtokens`` deletes a row (and its blacklist entry) at the token's ``exp``,
    not at ``exp + LEEWAY``: whether such a token was blacklisted is no longer known, so it is
    refused as expired.  Before its ``exp`` a token without a row is judged as before (it may
    predate the blacklist app).
    """
    jti = claims.get(get("JTI_CLAIM"))
    if jti is None or not _past_exp(claims, now) or not jwt_settings.blacklist_installed():
        return False
    return not _blacklist_models()[0].objects.filter(jti=_id(jti)).exists()


def refuse_blacklisted(claims: dict[str, Any], now: float, *, recorded: bool = True) -> None:
    """Raise "Token is blacklisted" for a blacklisted token; with ``recorded`` (a refresh or sliding token,
    which has an OutstandingToken row), "Token is expired" for one whose row housekeeping deleted
    inside its leeway (see :func:`_record_gone`)."""
    if is_blacklisted(claims.get(get("JTI_CLAIM"))):
        raise errors.blacklisted()
    if recorded and _record_gone(claims, now):
        raise errors.expired()


def extend_outstanding(claims: dict[str, Any]) -> None:
    """A sliding refresh keeps the jti and moves ``exp``: the row must live as long as the newest token."""
    jti = claims.get(get("JTI_CLAIM"))
    if jti is None or not jwt_settings.blacklist_installed():
        return
    expires_at = _dt(claims.get("exp"))
    _blacklist_models()[0].objects.filter(jti=_id(jti), expires_at__lt=expires_at).update(expires_at=expires_at)


# What upstream's OutstandingToken.token column holds instead of the token: no JWT (no dot), names the row's jti.
NOT_A_TOKEN = "simplejwt-rs:not-stored:jti="


def not_a_token(jti: Any) -> str:
    """The value of upstream's ``OutstandingToken.token`` column: a marker naming the jti, never the token.

    A database dump or a read-only SQL injection must not hand out live tokens; every record is keyed by
    jti, and nothing (upstream's admin, ``flushexpiredtokens``, dj-rest-auth) reads the column.
    """
    return f"{NOT_A_TOKEN}{jti}"


def redact_outstanding(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_save`` of upstream's OutstandingToken (connected at ready): whoever writes a row through the
    ORM (upstream's ``for_user``, ``blacklist()`` or ``outstand()``, a project's subclass of upstream's
    token classes, another package), the column gets :func:`not_a_token`, not the token."""
    instance.token = not_a_token(instance.jti)


def connect() -> None:
    """Connect :func:`redact_outstanding` (at ready; only with upstream's token_blacklist app installed)."""
    if jwt_settings.blacklist_installed():
        pre_save.connect(redact_outstanding, sender=_blacklist_models()[0], dispatch_uid="simplejwt_rs.not_a_token")


def outstand(claims: dict[str, Any], created_at: datetime, user: Any) -> Any:
    """The OutstandingToken row for ``claims``'s jti, created if missing (as upstream, without the token)."""
    jti = _id(claims.get(get("JTI_CLAIM")))
    expires_at = _dt(claims.get("exp"))
    row, _created = _blacklist_models()[0].objects.get_or_create(
        jti=jti, defaults={"user": user, "created_at": created_at, "token": not_a_token(jti), "expires_at": expires_at}
    )
    return row


def blacklist(claims: dict[str, Any], created_at: datetime, user: Any) -> Any:
    """Blacklist a token (idempotent, as upstream's ``Token.blacklist()``); returns (row, created)."""
    return _blacklist_models()[1].objects.get_or_create(token=outstand(claims, created_at, user))


# --- the store's statements, each written once ---------------------------------------------------
# One function per statement; the callers pass what differs (which tokens, which families).


def _family_of() -> str:
    """SQL, one parameter (a jti): the family a rotation record gives that token (none: it started its family)."""
    return f"SELECT r.family FROM {_tables()['rotated']} r WHERE r.jti = %s"


def _family_revoked(families: str) -> str:
    """SQL: true when a family in ``families`` (a list of SQL values) is revoked."""
    return f"EXISTS (SELECT 1 FROM {_tables()['revoked']} v WHERE v.family IN ({families}))"


def _user_families() -> str:
    """SQL, two parameters (the user's pk, its ``account_key``): every family the user's tokens started
    (a family's id is its first token's jti) or were rotated in (the rotation records)."""
    t = _tables()
    return (
        f"SELECT o.jti AS family FROM {t['outstanding']} o WHERE o.{_outstanding_user()} = %s "
        f"UNION SELECT r.family FROM {t['rotated']} r WHERE r.user_id = %s"
    )


def _outstanding_user() -> str:
    return connection.ops.quote_name(_blacklist_models()[0]._meta.get_field("user").column)


def _insert_consumed(cursor: Any, record: list[Any], jti: str, claimed_family: str, *, row_needed: bool) -> str | None:
    """The one statement that decides a consumption: insert the rotation record for ``jti``
    (``record``: its jti, user_id, issued_at, expires_at, logged_out) unless the token's family is revoked,
    the token is blacklisted, or (``row_needed``, inside its leeway) its outstanding row is gone.

    Returns the family recorded, or None when nothing was inserted. A token consumed already violates the
    unique ``parent_jti``: IntegrityError.
    """
    t = _tables()
    successor, user_id, issued_at, expires_at, logged_out = record
    returning = connection.features.can_return_columns_from_insert
    cursor.execute(
        f"INSERT INTO {t['rotated']} (jti, parent_jti, family, user_id, issued_at, expires_at, logged_out) "
        "SELECT %s, %s, f.family, %s, %s, %s, %s "
        f"FROM (SELECT COALESCE(({_family_of()}), %s) AS family) f "
        f"WHERE NOT {_family_revoked('f.family, %s')} "
        f"AND NOT EXISTS (SELECT 1 FROM {t['blacklisted']} b INNER JOIN {t['outstanding']} o "
        f"ON b.{t['bl_token']} = o.id WHERE o.jti = %s) "
        # Inside its leeway a token needs its row: housekeeping may have deleted it with its blacklisting.
        f"AND (%s OR EXISTS (SELECT 1 FROM {t['outstanding']} o WHERE o.jti = %s))"
        + (" RETURNING family" if returning else ""),
        [successor, jti, user_id, issued_at, expires_at, logged_out]
        + [jti, claimed_family, claimed_family, jti, not row_needed, jti],
    )
    if returning:
        inserted = cursor.fetchone()
    elif cursor.rowcount == 1:
        cursor.execute(f"SELECT family FROM {t['rotated']} WHERE parent_jti = %s", [jti])
        inserted = cursor.fetchone()
    else:
        inserted = None
    return None if inserted is None else str(inserted[0])


def _why_not_consumed(cursor: Any, jti: str, claimed_family: str) -> tuple[str | None, bool]:
    """(the family ``jti`` was consumed in, or None; whether its family, claimed or recorded, is revoked)."""
    cursor.execute(
        f"SELECT (SELECT family FROM {_tables()['rotated']} WHERE parent_jti = %s), "
        f"{_family_revoked(f'%s, ({_family_of()})')}",
        [jti, claimed_family, jti],
    )
    consumed_in, revoked = cursor.fetchone()
    return consumed_in, bool(revoked)


def _blacklist_outstanding(cursor: Any, which: str, params: list[Any], blacklisted_at: datetime) -> int:
    """Blacklist the outstanding tokens ``which`` (a condition on ``o``, the outstanding row) selects,
    but those blacklisted already; returns how many were blacklisted."""
    t = _tables()
    cursor.execute(
        _insert_ignoring_conflicts(
            f"INSERT INTO {t['blacklisted']} ({t['bl_token']}, blacklisted_at) "
            f"SELECT o.id, %s FROM {t['outstanding']} o WHERE ({which}) "
            f"AND NOT EXISTS (SELECT 1 FROM {t['blacklisted']} b WHERE b.{t['bl_token']} = o.id)"
        ),
        [_param(blacklisted_at), *params],
    )
    return int(cursor.rowcount)


def _revoke_families(cursor: Any, families: str, params: list[Any], revoked_at: datetime) -> None:
    """Revoke the families the query ``families`` (one column, ``family``) selects, but those revoked already;
    each row lasts as long as a token of its family can (:func:`longest_lifetime`)."""
    table = _tables()["revoked"]
    cursor.execute(
        _insert_ignoring_conflicts(
            f"INSERT INTO {table} (family, revoked_at, expires_at) SELECT f.family, %s, %s FROM ({families}) f "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} v WHERE v.family = f.family)"
        ),
        [_param(revoked_at), _param(revoked_at + longest_lifetime()), *params],
    )


def _mark_revoked_before(cursor: Any, user_id: str, revoked_before: Any) -> None:
    """Upsert the user's mark, keeping the later of the stored and the new time (one statement on SQLite,
    PostgreSQL and MySQL: concurrent revocations of one user cannot lose the later mark)."""
    table = connection.ops.quote_name(RevokedUserTokens._meta.db_table)
    insert = f"INSERT INTO {table} (user_id, revoked_before) VALUES (%s, %s)"
    update = f"UPDATE {table} SET revoked_before = %s WHERE user_id = %s AND revoked_before < %s"
    on_conflict_keep_later = {
        "sqlite": f" ON CONFLICT (user_id) DO UPDATE SET revoked_before = CASE WHEN {table}.revoked_before < "
        f"excluded.revoked_before THEN excluded.revoked_before ELSE {table}.revoked_before END",
        "mysql": " ON DUPLICATE KEY UPDATE revoked_before = GREATEST(revoked_before, VALUES(revoked_before))",
    }
    on_conflict_keep_later["postgresql"] = on_conflict_keep_later["sqlite"]
    if connection.vendor in on_conflict_keep_later:
        cursor.execute(insert + on_conflict_keep_later[connection.vendor], [user_id, revoked_before])
        return
    # Elsewhere: update, else insert; a concurrent insert's conflict is retried as an update.
    cursor.execute(update, [revoked_before, user_id, revoked_before])
    if cursor.rowcount == 0:  # no row, or one with a later mark already
        try:
            with transaction.atomic():
                cursor.execute(insert, [user_id, revoked_before])
        except IntegrityError:
            cursor.execute(update, [revoked_before, user_id, revoked_before])


# --- consuming, once -----------------------------------------------------------------------------


class Reused(Exception):
    """The presented token was consumed before; raised inside the consuming transaction (so it rolls back).

    ``recorded``: ``family`` was read from the consumed token's row, not taken from its claim.
    """

    def __init__(self, jti: str, family: str, user: Any, *, recorded: bool = False) -> None:
        super().__init__(jti)
        self.jti = jti
        self.family = family
        self.user = user
        self.recorded = recorded


def consume(
    claims: dict[str, Any],
    *,
    user: Any,
    now: float,
    successor_jti: str | None = None,
    successor_exp: int | None = None,
) -> str:
    """Consume a verified refresh token, for a successor (refresh) or for none (logout); returns its family.

    Must run inside a transaction (:func:`rotate`'s, :func:`logout`'s) whose first statement this
    is: a read before it would let two SQLite writers deadlock on the lock
    upgrade.  Raises :class:`Reused` if the token was consumed already,
    :class:`~simplejwt_rs.errors.TokenFamilyRevoked`, or "Token is blacklisted".
    """
    jti, claimed_family = identify(claims)
    with connection.cursor() as cursor:
        # One statement decides: of any number of concurrent consumptions of one token, one inserts.
        try:
            family = _insert_consumed(
                cursor,
                _consumption_record(claims, user, now, successor_jti, successor_exp),
                jti,
                claimed_family,
                row_needed=_past_exp(claims, now),
            )
        except IntegrityError as exc:  # another request consumed it first
            raise Reused(jti, claimed_family, user) from exc
        if family is None:
            _refuse_consumption(cursor, claims, jti, claimed_family, user, now)
        # BLACKLIST_AFTER_ROTATION in upstream's tables (logout too): the presented token's outstanding row.
        blacklisted = _blacklist_outstanding(cursor, "o.jti = %s", [jti], _dt(now))
    if blacklisted != 1:
        # Issued before the blacklist app was installed (no outstanding row), or blacklisted meanwhile.
        blacklist(claims, _dt(now), user)
    return family


def _consumption_record(
    claims: dict[str, Any], user: Any, now: float, successor_jti: str | None, successor_exp: int | None
) -> list[Any]:
    """The rotation record's jti, user_id, issued_at, expires_at and logged_out (see :func:`_insert_consumed`).

    The record lasts as long as the longer-lived of the presented token and its successor.
    """
    parent_exp = _dt(claims.get("exp"))
    expires = parent_exp if successor_exp is None else max(parent_exp, _dt(successor_exp))
    logged_out = successor_jti is None
    return [
        new_jti() if logged_out else successor_jti,  # a logout's row names no token that was ever issued
        None if user is None else policy.account_key(user),
        _param(_dt(now)),
        _param(expires),
        logged_out,
    ]


def _refuse_consumption(
    cursor: Any, claims: dict[str, Any], jti: str, claimed_family: str, user: Any, now: float
) -> NoReturn:
    """The token was not consumed: say why. A consumed token is blacklisted too, so its record decides first."""
    consumed_in, revoked = _why_not_consumed(cursor, jti, claimed_family)
    if revoked:  # revoked already: nothing more to revoke or signal
        raise TokenFamilyRevoked()
    if consumed_in is not None:
        raise Reused(jti, consumed_in, user, recorded=True)
    if _record_gone(claims, now):
        raise errors.expired()
    raise errors.blacklisted()


def record_outstanding(claims: dict[str, Any], created_at: datetime, user: Any) -> None:
    """A successor's OutstandingToken row, from the jti and ``exp`` chosen before it is minted: one INSERT."""
    jti = _id(claims[get("JTI_CLAIM")])
    _blacklist_models()[0].objects.create(
        user=user, jti=jti, token=not_a_token(jti), created_at=created_at, expires_at=_dt(claims["exp"])
    )


def rotate(claims: dict[str, Any], successor: dict[str, Any], *, user: Any, now: float, created_at: datetime) -> str:
    """Single-use rotation's whole write, in one transaction that begins and ends here: consume the presented
    token for ``successor`` (its jti and ``exp``, chosen before it is minted) and record the successor as
    outstanding.  Returns the family; raises as :func:`consume` does, the transaction rolled back.

    The policy has read the user already, outside: the consuming INSERT must be the transaction's first
    statement (see :func:`consume`).
    """
    successor_jti = _id(successor[get("JTI_CLAIM")])
    with transaction.atomic():
        family = consume(claims, user=user, now=now, successor_jti=successor_jti, successor_exp=successor["exp"])
        record_outstanding(successor, created_at, user)
    return family


@database_guard("logout")
def logout(claims: dict[str, Any], user: Any, now: float, sender: Any) -> Any:
    """Log a refresh token out: consumed like a rotation, so a logout and a refresh of one token never both win.

    The logout endpoint and ``Token.blacklist()`` (dj-rest-auth's logout) both
    come here.  Returns what upstream's ``blacklist()`` returns: the
    BlacklistedToken row and whether this call created it.  With single-use
    rotation a token consumed before (rotated, or logged out) is a reuse: its
    family is revoked and :class:`~simplejwt_rs.errors.TokenReused` raised.
    """
    if not rotation_active():
        events.token_revoked("token", user, jti=claims.get(get("JTI_CLAIM")), sender=sender)
        return blacklist(claims, _dt(now), user)  # upstream's idempotent blacklisting
    try:
        with transaction.atomic():
            consume(claims, user=user, now=now)
    except Reused as reused:
        # The logout asked for the session to end: no grace period keeps a successor alive.
        refuse_reuse(reused, now, sender, grace=False)
    jti = _id(claims.get(get("JTI_CLAIM")))
    events.token_revoked("token", user, identify(claims)[1], jti, sender=sender)
    return _blacklist_models()[1].objects.select_related("token").get(token__jti=jti), True


def check_blacklist(claims: dict[str, Any], now: float, sender: Any, user_of: Callable[[dict[str, Any]], Any]) -> None:
    """A token class's blacklist check (``RefreshToken(raw)``): a blacklisted token is refused.

    With single-use rotation a blacklisted token is looked at as verify does
    (:func:`check_presented`): one of a revoked family says so, and a consumed
    refresh token is a reuse that revokes its family, so that code which
    builds the token before logging it out (dj-rest-auth's logout) detects a
    thief's rotation too.  A token that is not blacklisted costs one query.
    """
    try:
        refuse_blacklisted(claims, now)
    except TokenError:
        check_presented(claims, now, sender, user_of)
        raise


# --- reuse and revocation -----------------------------------------------------------------------


def refuse_reuse(reused: Reused, now: float, sender: Any, *, grace: bool = True) -> NoReturn:
    """A consumed token came back: a retry within the grace period is refused, else its family is revoked.

    Must run outside the transaction that found the reuse (it rolled back).
    """
    if not reuse_detection():
        raise errors.blacklisted()
    seconds = get("REFRESH_TOKEN_REUSE_GRACE_SECONDS") if grace else 0
    successor = _successor(reused.jti) if seconds > 0 or not reused.recorded else None
    if successor is not None and _retry_within_grace(successor, now, seconds):
        raise TokenAlreadyRotated()
    # The recorded family wins over the claim (which may have been renamed since).
    _revoke_reused(reused, successor["family"] if successor else reused.family, now, sender)


def _successor(jti: str) -> dict[str, Any] | None:
    """The rotation record that consumed ``jti``: its family, when, whether its token was consumed in turn."""
    return (
        RotatedRefreshToken.objects.filter(parent_jti=jti)
        .annotate(consumed=Exists(RotatedRefreshToken.objects.filter(parent_jti=OuterRef("jti"))))
        .values("family", "issued_at", "consumed", "logged_out")
        .first()
    )


def _retry_within_grace(successor: dict[str, Any], now: float, seconds: float) -> bool:
    """Only the immediately previous token (its successor not yet used, nor logged out), only for a while."""
    return (
        seconds > 0
        and not successor["consumed"]
        and not successor["logged_out"]
        and successor["issued_at"] >= _dt(now) - timedelta(seconds=seconds)
    )


def _revoke_reused(reused: Reused, family: str, now: float, sender: Any) -> NoReturn:
    with database_guard("revoking a reused token's family"):
        revoke_family(family, now)
    refresh_token_reused.send(sender=sender, user=reused.user, family=family, jti=reused.jti)
    events.token_reuse(reused.user, family, reused.jti, sender)
    events.token_revoked("family", reused.user, family, code="token_reused", sender=sender)
    log.warning(
        "A consumed refresh token was presented again: token family %s revoked (user %s)",
        family,
        getattr(reused.user, "pk", None),
    )
    raise TokenReused()


def revoke_family(family: str, now: float) -> None:
    """Refuse every token of ``family`` from now on and blacklist all its outstanding tokens: two statements."""
    revoked_at = _dt(now)
    with transaction.atomic(), connection.cursor() as cursor:
        _revoke_families(cursor, "SELECT %s AS family", [family], revoked_at)
        # The family's first token has the family id as its jti; the others are rotation records.
        family_tokens = f"o.jti = %s OR o.jti IN (SELECT r.jti FROM {_tables()['rotated']} r WHERE r.family = %s)"
        _blacklist_outstanding(cursor, family_tokens, [family, family], revoked_at)
    # Its access tokens too, on every server, once the cache knows (POLICY_CACHE).
    _tell_revoked(lambda: [family])


@database_guard("revoke_user_tokens")
def revoke_user_tokens(user: Any, now: float | None = None, sender: Any = None) -> None:
    """Log a user out everywhere: blacklist every refresh and sliding token, revoke every family, mark the rest.

    Three statements whatever their number (plus the transaction): every
    outstanding token of the user is blacklisted, every family the user's
    tokens started or were rotated in is revoked (so verify refuses their
    access tokens too), and the user's "tokens issued at or before now are
    revoked" mark (:class:`~simplejwt_rs.models.RevokedUserTokens`) is moved
    to now, never back (refresh, sliding refresh and verify judge every token by it:
    :func:`~simplejwt_rs.policy.revoked_by_mark`): with ``POLICY_CACHE`` authentication refuses every
    earlier access token by it, with or without a family claim, whether the
    cache holds the mark or fills it from here.  Sends
    :data:`~simplejwt_rs.signals.user_tokens_revoked`.  ``user`` is a user model instance or a
    ``TokenUser`` (resolved to the account its token names; :class:`~simplejwt_rs.errors.UserRefused`
    when it names none).
    """
    if not jwt_settings.blacklist_installed():
        raise ImproperlyConfigured(
            "revoke_user_tokens needs rest_framework_simplejwt.token_blacklist in INSTALLED_APPS"
        )
    # A TokenUser (JWTStatelessUserAuthentication's request.user) is resolved to its account: its pk is the
    # USER_ID_CLAIM value, which is not the account's key when USER_ID_FIELD is another field.
    user = policy.account(user)
    key = policy.account_key(user)
    now = jwt_settings.now() if now is None else now
    revoked_at = _dt(now)
    with transaction.atomic(), connection.cursor() as cursor:
        _blacklist_outstanding(cursor, f"o.{_outstanding_user()} = %s", [user.pk], revoked_at)
        _revoke_families(cursor, _user_families(), [user.pk, key], revoked_at)
        # Access tokens carry no record: the mark refuses every token of the user issued until now, to the
        # microsecond (policy.revoked_by_mark: a token minted later in this second says so in a claim).
        _mark_revoked_before(cursor, key, _param(revoked_at))

    # POLICY_CACHE: the user's cached entry is rewritten from the database once this commits, and the
    # families are cached as revoked (their access tokens are refused without a fill).
    def families() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(_user_families(), [user.pk, key])
            return [row[0] for row in cursor.fetchall()]

    _tell_revoked(families, user)
    user_tokens_revoked.send(sender=sender, user=user)
    events.token_revoked("user", user, sender=sender)
    log.info("Every token of user %s revoked", user.pk)


def check_presented(claims: dict[str, Any], now: float, sender: Any, user_of: Callable[[dict[str, Any]], Any]) -> None:
    """For verify: a consumed refresh token is a reuse; a token of a revoked family is refused.

    ``user_of(claims)`` names the user for the signal, looked up only on a reuse.
    """
    if not rotation_active():
        return
    claim = get("TOKEN_FAMILY_CLAIM")
    claimed = claims.get(claim) if claim else None
    jti = claims.get(get("JTI_CLAIM"))
    if jti is None and claimed is None:
        return
    jti = None if jti is None else _id(jti)
    families = set() if claimed is None else {_id(claimed)}
    consumed_in = None
    if jti is not None:
        consumed_in = RotatedRefreshToken.objects.filter(parent_jti=jti).values_list("family", flat=True).first()
        families.update(RotatedRefreshToken.objects.filter(jti=jti).values_list("family", flat=True))
        families.update([] if consumed_in is None else [consumed_in])
    # As at refresh: a revoked family first (nothing more to revoke), then a reuse.
    if families and RevokedTokenFamily.objects.filter(family__in=families).exists():
        raise TokenFamilyRevoked()
    if consumed_in is not None and jti is not None:  # consumed_in is only ever found by a jti
        refuse_reuse(Reused(jti, consumed_in, user_of(claims), recorded=True), now, sender)


def longest_lifetime() -> timedelta:
    """The longest lifetime a token of a family can have (refresh or access): a revoked family's row lasts that long."""
    return timedelta(seconds=max(_seconds(get("REFRESH_TOKEN_LIFETIME")), _seconds(get("ACCESS_TOKEN_LIFETIME"))))


# --- housekeeping: batched deletes --------------------------------------------------------------------------

# Told of each batch a flush deletes: ``listener(table, rows, seconds)`` (the bench and the tests count them).
BatchListener = Callable[[str, int, float], None]


def _delete_in_batches(
    table: str,
    key: str,
    expired: str,
    params: list[Any],
    batch_size: int,
    on_batch: BatchListener | None,
    dependants: tuple[str, str] | None = None,
) -> int:
    """Delete the rows of ``table`` that ``expired`` (a condition on ``t``) selects, ``batch_size`` at a time;
    ``dependants`` (a table, its column referencing ``key``) names rows deleted with them.

    Each batch is one short transaction over the next keys in key order (the primary key's index, from
    where the last batch stopped, so no batch rescans what earlier ones passed).  Memory holds one batch
    of keys; no statement holds locks on more than one batch of rows.  On PostgreSQL (and others) the keys
    are selected and locked first (``FOR UPDATE``: a concurrent blacklisting of one of them waits, rather
    than fail its foreign key at commit), then deleted; on SQLite the first statement writes (a read first
    would need a lock upgrade that a concurrent writer deadlocks: "database is locked").
    """
    deleted = 0
    after: Any = None
    vendor = connection.vendor
    while True:
        started = time.perf_counter()
        resume = "" if after is None else f" AND t.{key} > %s"
        args = [*params, *([] if after is None else [after]), batch_size]
        batch = f"SELECT t.{key} FROM {table} t WHERE ({expired}){resume} ORDER BY t.{key} LIMIT %s"
        with transaction.atomic(), connection.cursor() as cursor:
            if vendor == "sqlite":
                if dependants is not None:
                    cursor.execute(f"DELETE FROM {dependants[0]} WHERE {dependants[1]} IN ({batch})", args)
                cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({batch}) RETURNING {key}", args)
                keys = [row[0] for row in cursor.fetchall()]
            else:
                cursor.execute(batch + (" FOR UPDATE" if connection.features.has_select_for_update else ""), args)
                keys = [row[0] for row in cursor.fetchall()]
                listed = ", ".join(["%s"] * len(keys))
                if keys and dependants is not None:
                    cursor.execute(f"DELETE FROM {dependants[0]} WHERE {dependants[1]} IN ({listed})", keys)
                if keys:
                    cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({listed})", keys)
        if not keys:
            return deleted
        deleted += len(keys)
        if on_batch is not None:
            on_batch(table, len(keys), time.perf_counter() - started)
        if len(keys) < batch_size:
            return deleted
        after = max(keys)


def _batch_size(batch_size: int | None) -> int:
    size = int(get("FLUSH_BATCH_SIZE") if batch_size is None else batch_size)
    limit = connection.features.max_query_params  # SQLite's, on builds that still have 999
    return max(1, min(size, limit - 2) if limit else size)


def flush_expired_counts(
    now: float, batch_size: int | None = None, on_batch: BatchListener | None = None
) -> dict[str, int]:
    """Delete rotation records, revoked families and sessions no token can be presented against any more;
    returns the rows deleted per table (``rotated``, ``families``, ``sessions``).

    A row is kept until ``expires_at + LEEWAY``: until then a token it concerns still decodes.
    The "revoked before" marks (one row per user) are never deleted.  Deleted in batches of
    ``FLUSH_BATCH_SIZE`` (see :func:`_delete_in_batches`).
    """
    cutoff = [_param(_dt(now) - leeway())]
    size = _batch_size(batch_size)
    q = connection.ops.quote_name
    rotated = _delete_in_batches(_tables()["rotated"], "jti", "t.expires_at <= %s", cutoff, size, on_batch)
    families = _delete_in_batches(_tables()["revoked"], "family", "t.expires_at <= %s", cutoff, size, on_batch)
    # A session lasts as long as its newest refresh token: the login's, or a rotation record's (deleted above
    # once expired, so one still there is a later token).
    sessions = _delete_in_batches(
        q(TokenSession._meta.db_table),
        "family",
        f"t.expires_at <= %s AND NOT EXISTS (SELECT 1 FROM {_tables()['rotated']} r WHERE r.family = t.family)",
        cutoff,
        size,
        on_batch,
    )
    return {"rotated": rotated, "families": families, "sessions": sessions}


def flush_outstanding(now: float, batch_size: int | None = None, on_batch: BatchListener | None = None) -> int:
    """Upstream's ``flushexpiredtokens``, in batches and under ``LEEWAY``: delete the outstanding tokens
    (with their blacklist entries) past ``expires_at + LEEWAY``; returns how many outstanding rows.

    Upstream deletes every expired row in one ``QuerySet.delete()`` (all of them loaded into memory for the
    cascade) at ``exp``, while the token still decodes under ``LEEWAY``.
    """
    t = _tables()
    cutoff = [_param(_dt(now) - leeway())]
    blacklist_entries = (t["blacklisted"], t["bl_token"])
    return _delete_in_batches(
        t["outstanding"], "id", "t.expires_at <= %s", cutoff, _batch_size(batch_size), on_batch, blacklist_entries
    )
