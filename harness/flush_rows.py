"""Expired rows for the flush commands to delete: the tests (tests/django/test_flush_batches.py) and the bench
(bench/flush.py) seed the token tables the same way, in a few INSERT ... SELECT statements whatever the count.

Rows are spread over upstream's outstanding and blacklist tables and ours (rotation records, revoked families,
sessions), all expired ``LEEWAY`` and more ago; a few more expired inside the leeway, which must stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

# How a count is spread over the tables (fractions of ``total``); the blacklist entries point at outstanding rows.
SHARES = {"outstanding": 0.4, "blacklisted": 0.2, "rotated": 0.3, "families": 0.05, "sessions": 0.05}
KEPT = 7  # rows per table expired inside the leeway: a token they concern still decodes


def _series(count: int) -> str:
    """A one-column (``n``) relation 1..count, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"generate_series(1, {int(count)}) AS g(n)"
    return f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {int(count)}) SELECT n FROM s) g"


def _tables() -> dict[str, str]:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
    from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken, TokenSession

    q = connection.ops.quote_name
    models: dict[str, Any] = {
        "outstanding": OutstandingToken,
        "blacklisted": BlacklistedToken,
        "rotated": RotatedRefreshToken,
        "families": RevokedTokenFamily,
        "sessions": TokenSession,
    }
    return {name: q(model._meta.db_table) for name, model in models.items()}


def counts(total: int) -> dict[str, int]:
    return {table: int(total * share) for table, share in SHARES.items()}


def seed(total: int, user: Any, now: datetime, leeway: timedelta, prefix: str = "seed") -> dict[str, int]:
    """Insert about ``total`` rows expired before ``now - leeway`` (and :data:`KEPT` per table inside the
    leeway); returns the expired rows per table."""
    wanted = counts(total)
    t = _tables()
    adapt = connection.ops.adapt_datetimefield_value
    old, recent = adapt(now - leeway - timedelta(seconds=60)), adapt(now - leeway / 2)
    with transaction.atomic(), connection.cursor() as cursor:
        for label, expires, n in (("x", old, wanted["outstanding"]), ("k", recent, KEPT)):
            cursor.execute(
                f"INSERT INTO {t['outstanding']} (user_id, jti, token, created_at, expires_at) "
                f"SELECT %s, %s || g.n, '', %s, %s FROM {_series(n)}",
                [user.pk, f"{prefix}-o{label}-", expires, expires],
            )
        cursor.execute(
            f"INSERT INTO {t['blacklisted']} (token_id, blacklisted_at) SELECT o.id, %s FROM {t['outstanding']} o "
            f"WHERE o.jti LIKE %s ORDER BY o.id LIMIT {int(wanted['blacklisted'])}",
            [old, f"{prefix}-ox-%"],
        )
        for label, expires, n in (("x", old, wanted["rotated"]), ("k", recent, KEPT)):
            cursor.execute(
                f"INSERT INTO {t['rotated']} (jti, parent_jti, family, user_id, issued_at, expires_at, logged_out) "
                f"SELECT %s || g.n, %s || g.n, %s || (g.n / 10), %s, %s, %s, %s FROM {_series(n)}",
                [f"{prefix}-r{label}-", f"{prefix}-p{label}-", f"{prefix}-f{label}-"]
                + [str(user.pk), old, expires, False],
            )
        for label, expires, n in (("x", old, wanted["families"]), ("k", recent, KEPT)):
            cursor.execute(
                f"INSERT INTO {t['families']} (family, revoked_at, expires_at) "
                f"SELECT %s || g.n, %s, %s FROM {_series(n)}",
                [f"{prefix}-v{label}-", old, expires],
            )
        for label, expires, n in (("x", old, wanted["sessions"]), ("k", recent, KEPT)):
            cursor.execute(
                f"INSERT INTO {t['sessions']} (family, user_id, created, expires_at, user_agent, ip) "
                f"SELECT %s || g.n, %s, %s, %s, '', NULL FROM {_series(n)}",
                [f"{prefix}-s{label}-", str(user.pk), old, expires],
            )
    return wanted


def remaining(prefix: str = "seed") -> dict[str, int]:
    """Seeded rows still there, per table (the blacklist's: entries of seeded outstanding rows)."""
    t = _tables()
    column = {"outstanding": "jti", "rotated": "jti", "families": "family", "sessions": "family"}
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table, key in column.items():
            cursor.execute(f"SELECT COUNT(*) FROM {t[table]} WHERE {key} LIKE %s", [f"{prefix}-%"])
            found[table] = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM {t['blacklisted']} b INNER JOIN {t['outstanding']} o ON b.token_id = o.id "
            "WHERE o.jti LIKE %s",
            [f"{prefix}-%"],
        )
        found["blacklisted"] = cursor.fetchone()[0]
    return found
