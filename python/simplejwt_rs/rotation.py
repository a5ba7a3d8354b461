"""Single-use refresh rotation with reuse detection (RFC 9700 section 4.14.2).

Active when ``ROTATE_REFRESH_TOKENS`` and ``BLACKLIST_AFTER_ROTATION`` are on
and both upstream's ``token_blacklist`` app and ``simplejwt_rs`` are installed.

- A token *family* id travels from obtain across every rotation in the
  ``TOKEN_FAMILY_CLAIM`` claim; it is the jti of the family's first refresh
  token (a token minted before this was installed starts a family of its own).
- Consuming a presented refresh token *is* inserting the
  :class:`~simplejwt_rs.models.RotatedRefreshToken` row for its successor,
  whose ``parent_jti`` is unique.  The insert is conditional on the family not
  being revoked and the presented token not being blacklisted, so one
  statement decides; it is the first statement of a short transaction that
  also blacklists the presented token and records the successor as
  outstanding.  Of N concurrent refreshes of one token exactly one commits.
- A presented token that already has a successor was reused: its family is
  revoked (one row), every outstanding token of the family is blacklisted in
  upstream's tables (one ``INSERT ... SELECT``), :data:`refresh_token_reused`
  is sent and a warning logged.  Within ``REFRESH_TOKEN_REUSE_GRACE_SECONDS``
  of the rotation, a retry of the immediately previous token is refused
  without revoking anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exc
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

from . import backends
from . import settings as jwt_settings
from .settings import get
from .signals import refresh_token_reused

log = logging.getLogger("simplejwt_rs.rotation")

# CharField(max_length=255) in our tables and in upstream's OutstandingToken.
MAX_ID_LENGTH = 255


class TokenReused(AuthenticationFailed):
    default_detail = _("This refresh token was already used; every token of its family is now revoked.")
    default_code = "token_reused"


class TokenFamilyRevoked(AuthenticationFailed):
    default_detail = _("This refresh token belongs to a revoked token family.")
    default_code = "token_family_revoked"


class TokenAlreadyRotated(AuthenticationFailed):
    default_detail = _("This refresh token was just rotated; use the refresh token it was exchanged for.")
    default_code = "token_already_rotated"


class TokenStoreBusy(drf_exc.APIException):
    """The database could not take the write in time (e.g. SQLite's "database is locked").

    Nothing was consumed: the transaction rolled back, so the same refresh
    token can be retried (``Retry-After: 1``).
    """

    status_code = 503
    default_detail = _("The token store is busy; retry the request.")
    default_code = "token_store_busy"
    wait = 1  # DRF's exception handler turns this into a Retry-After header


class Reused(Exception):
    """Raised inside the consuming transaction (so it rolls back); handled by :func:`refuse_reuse`."""

    def __init__(self, jti: str, family: str, user: Any) -> None:
        super().__init__(jti)
        self.jti = jti
        self.family = family
        self.user = user


def active() -> bool:
    """Whether refreshes go through the rotation store (single use + reuse detection)."""
    return bool(
        get("ROTATE_REFRESH_TOKENS")
        and get("BLACKLIST_AFTER_ROTATION")
        and get("JTI_CLAIM") is not None
        and tables_installed()
    )


def tables_installed() -> bool:
    """Upstream's token_blacklist app and ours (the rotation records), both in INSTALLED_APPS."""
    return jwt_settings.blacklist_installed() and jwt_settings.rotation_store_installed()


def reuse_detection() -> bool:
    setting = get("REFRESH_TOKEN_REUSE_DETECTION")
    return True if setting is None else bool(setting)


def family_claim() -> str | None:
    """The claim a new refresh token carries its family id in, or None when families are off."""
    if not active():
        return None
    return get("TOKEN_FAMILY_CLAIM") or None


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TokenError(backends.MSG_INVALID)
    text = str(value)
    if not text or len(text) > MAX_ID_LENGTH:
        raise TokenError(backends.MSG_INVALID)
    return text


def identify(claims: dict[str, Any]) -> tuple[str, str]:
    """(jti, family) of a verified refresh token; a token without a family claim starts its own."""
    jti = _id(claims.get(get("JTI_CLAIM")))
    claim = get("TOKEN_FAMILY_CLAIM")
    family = claims.get(claim) if claim else None
    return jti, (jti if family is None else _id(family))


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _param(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _tables() -> dict[str, str]:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from .models import RevokedTokenFamily, RotatedRefreshToken

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


def consume(claims: dict[str, Any], token: str, child_jti: str, child_exp: int, user: Any, now: float) -> str:
    """Consume the presented refresh token in exchange for ``child_jti``; returns the family id.

    Must run inside a transaction (the caller's) whose first statement this is.
    Raises :class:`Reused` if the token already has a successor,
    :class:`TokenFamilyRevoked` or upstream's "Token is blacklisted".
    """
    jti, family = identify(claims)
    t = _tables()
    issued_at = _dt(now)
    parent_exp = claims.get("exp")
    expires = child_exp if not isinstance(parent_exp, (int, float)) else max(child_exp, int(parent_exp))
    user_id = None if user is None else str(user.pk)
    consume_sql = (
        f"INSERT INTO {t['rotated']} (jti, parent_jti, family, user_id, issued_at, expires_at) "
        "SELECT %s, %s, %s, %s, %s, %s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {t['revoked']} WHERE family = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {t['blacklisted']} b INNER JOIN {t['outstanding']} o "
        f"ON b.{t['bl_token']} = o.id WHERE o.jti = %s)"
    )
    params = [child_jti, jti, family, user_id, _param(issued_at), _param(_dt(expires)), family, jti]
    with connection.cursor() as cursor:
        try:
            cursor.execute(consume_sql, params)
        except IntegrityError as exc:
            raise Reused(jti, family, user) from exc
        if cursor.rowcount != 1:
            # Refused: say why, in one query. A rotated token is blacklisted too, so look for its successor.
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {t['revoked']} WHERE family = %s), "
                f"EXISTS (SELECT 1 FROM {t['rotated']} WHERE parent_jti = %s)",
                [family, jti],
            )
            revoked, rotated = cursor.fetchone()
            if revoked:
                raise TokenFamilyRevoked()
            if rotated:
                raise Reused(jti, family, user)
            raise TokenError(_("Token is blacklisted"))
        # BLACKLIST_AFTER_ROTATION, in upstream's tables: the presented token's outstanding row.
        cursor.execute(
            _insert_ignoring_conflicts(
                f"INSERT INTO {t['blacklisted']} ({t['bl_token']}, blacklisted_at) "
                f"SELECT o.id, %s FROM {t['outstanding']} o WHERE o.jti = %s"
            ),
            [_param(issued_at), jti],
        )
        blacklisted = cursor.rowcount
    if blacklisted != 1:
        # Issued before the blacklist app was installed (no outstanding row) or blacklisted meanwhile.
        from . import tokens

        tokens.blacklist(claims, token, issued_at)
    return family


def record_outstanding(claims: dict[str, Any], token: str, created_at: datetime, user: Any) -> None:
    """The successor's OutstandingToken row: one INSERT (the user is known already)."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    OutstandingToken.objects.create(
        user=user,
        jti=claims[get("JTI_CLAIM")],
        token=token,
        created_at=created_at,
        expires_at=_dt(claims["exp"]),
    )


def refuse_reuse(reused: Reused, now: float, sender: Any) -> None:
    """A token that already has a successor came back: grace refusal, or revoke its family. Always raises."""
    from .models import RotatedRefreshToken

    if not reuse_detection():
        raise TokenError(_("Token is blacklisted"))
    grace = get("REFRESH_TOKEN_REUSE_GRACE_SECONDS") or 0
    if grace > 0:
        successor = (
            RotatedRefreshToken.objects.filter(parent_jti=reused.jti)
            .annotate(consumed=Exists(RotatedRefreshToken.objects.filter(parent_jti=OuterRef("jti"))))
            .values("issued_at", "consumed")
            .first()
        )
        # Only the immediately previous token (its successor not yet used), and only for a while.
        if successor and not successor["consumed"] and successor["issued_at"] >= _dt(now) - timedelta(seconds=grace):
            raise TokenAlreadyRotated()
    revoke_family(reused.family, now)
    refresh_token_reused.send(sender=sender, user=reused.user, family=reused.family, jti=reused.jti)
    log.warning(
        "A rotated refresh token was presented again: token family %s revoked (user %s)",
        reused.family,
        getattr(reused.user, "pk", None),
    )
    raise TokenReused()


def revoke_family(family: str, now: float) -> None:
    """Refuse every token of ``family`` from now on and blacklist all its outstanding tokens: two statements."""
    t = _tables()
    revoked_at = _dt(now)
    lifetime = get("REFRESH_TOKEN_LIFETIME")
    expires_at = revoked_at + (lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _insert_ignoring_conflicts(
                f"INSERT INTO {t['revoked']} (family, revoked_at, expires_at) VALUES (%s, %s, %s)"
            ),
            [family, _param(revoked_at), _param(expires_at)],
        )
        # The family's first token has the family id as its jti; the others are rotation records.
        cursor.execute(
            _insert_ignoring_conflicts(
                f"INSERT INTO {t['blacklisted']} ({t['bl_token']}, blacklisted_at) "
                f"SELECT o.id, %s FROM {t['outstanding']} o "
                f"WHERE (o.jti = %s OR o.jti IN (SELECT r.jti FROM {t['rotated']} r WHERE r.family = %s)) "
                f"AND NOT EXISTS (SELECT 1 FROM {t['blacklisted']} b WHERE b.{t['bl_token']} = o.id)"
            ),
            [_param(revoked_at), family, family],
        )


def family_revoked(claims: dict[str, Any]) -> bool:
    """Whether a token carries the id of a revoked family (verify asks this)."""
    claim = get("TOKEN_FAMILY_CLAIM")
    family = claims.get(claim) if claim else None
    if family is None or not tables_installed():
        return False
    if isinstance(family, bool) or not isinstance(family, (str, int)):
        return False
    from .models import RevokedTokenFamily

    return RevokedTokenFamily.objects.filter(family=str(family)).exists()


def flush_expired(now: float) -> tuple[int, int]:
    """Delete rotation records and revoked families that can no longer matter; (rotated, families) deleted."""
    from .models import RevokedTokenFamily, RotatedRefreshToken

    cutoff = _dt(now)
    rotated, _unused = RotatedRefreshToken.objects.filter(expires_at__lte=cutoff).delete()
    families, _unused = RevokedTokenFamily.objects.filter(expires_at__lte=cutoff).delete()
    return rotated, families
