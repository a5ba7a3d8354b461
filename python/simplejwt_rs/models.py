"""Storage for single-use rotation and reuse detection (``simplejwt_rs`` in INSTALLED_APPS).

Upstream's ``token_blacklist`` app stays the source of truth for which tokens
are blacklisted; these two tables only add what it cannot express: which
refresh token a rotation consumed (so a second consumption is detected), and
which token families were revoked because a rotated token came back.
"""

from __future__ import annotations

from django.db import models

# First: without the app in INSTALLED_APPS, settings refuses to load with one clear line (AppNotInstalled)
# instead of Django's "doesn't declare an explicit app_label" traceback, whichever module imports us.
from . import settings as _settings  # noqa: F401


class RotatedRefreshToken(models.Model):
    """A consumed refresh token ``parent_jti``: exchanged for ``jti`` by rotation, or logged out.

    ``parent_jti`` is unique, so of concurrent refreshes and logouts presenting
    one token exactly one insert succeeds: consuming a token *is* inserting this row.
    """

    jti = models.CharField(max_length=255, primary_key=True)
    parent_jti = models.CharField(max_length=255, unique=True)
    family = models.CharField(max_length=255, db_index=True)
    user_id = models.CharField(max_length=255, null=True, blank=True)
    issued_at = models.DateTimeField()
    # When neither this token nor its parent can be presented any more (the row may then go).
    expires_at = models.DateTimeField(db_index=True)
    # Consumed by a logout: ``jti`` is a placeholder that was never issued as a token.
    logged_out = models.BooleanField(default=False)

    class Meta:
        verbose_name = "rotated refresh token"

    def __str__(self) -> str:
        return f"{self.parent_jti} -> {self.jti} (family {self.family})"


class RevokedTokenFamily(models.Model):
    """Every refresh token of ``family`` is refused: one of its rotated tokens was presented again."""

    family = models.CharField(max_length=255, primary_key=True)
    revoked_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "revoked token family"
        verbose_name_plural = "revoked token families"

    def __str__(self) -> str:
        return f"family {self.family} revoked at {self.revoked_at:%Y-%m-%d %H:%M:%S}"


class RevokedUserTokens(models.Model):
    """Every token of the user issued at or before ``revoked_before`` is refused (:func:`revoke_user_tokens`).

    One row per user, keyed as the rotation records key it (``str(user.pk)``); a later revocation moves the
    mark forward, never back.  The database is the source of truth; ``POLICY_CACHE`` holds a copy.
    """

    user_id = models.CharField(max_length=255, primary_key=True)
    revoked_before = models.DateTimeField()

    class Meta:
        verbose_name = "user's tokens revoked"
        verbose_name_plural = "users' tokens revoked"

    def __str__(self) -> str:
        return f"user {self.user_id}: tokens issued until {self.revoked_before:%Y-%m-%d %H:%M:%S} revoked"


class TokenSession(models.Model):
    """A session: one token family, from the login that started it (:mod:`simplejwt_rs.sessions`).

    Written once, at login (the user agent and address the login came from).  A refresh writes nothing
    here: when a session was last used and when its newest refresh token expires are read from the
    family's rotation records (each rotation's ``issued_at`` and ``expires_at``), so a refresh costs no
    extra statement.  It ends when its family is revoked, logged out, or its newest refresh token expires.
    """

    family = models.CharField(max_length=255, primary_key=True)
    # As the rotation records key users (``policy.account_key``).
    user_id = models.CharField(max_length=255, db_index=True)
    created = models.DateTimeField()
    # When the login's refresh token expires (its successors' expiries are in the rotation records).
    expires_at = models.DateTimeField(db_index=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "session"

    def __str__(self) -> str:
        return f"session {self.family} of user {self.user_id}"
