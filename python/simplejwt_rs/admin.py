"""The rotation tables and the "log out everywhere" marks in Django's admin: read-only, a "revoke family" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import settings as jwt_settings
from . import store
from .models import RevokedTokenFamily, RevokedUserTokens, RotatedRefreshToken


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the token store only: a hand-edited record could revive a consumed token."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RotatedRefreshToken)
class RotatedRefreshTokenAdmin(ReadOnlyAdmin):
    list_display = ("parent_jti", "jti", "family", "user_id", "logged_out", "issued_at", "expires_at")
    list_filter = ("logged_out",)
    search_fields = ("family", "jti", "parent_jti", "user_id")
    actions = ("revoke_families",)

    @admin.action(description="Revoke the token families of the selected records")
    def revoke_families(self, request: HttpRequest, queryset: QuerySet[RotatedRefreshToken]) -> None:
        families = sorted(set(queryset.values_list("family", flat=True)))
        now = jwt_settings.now()
        for family in families:
            store.revoke_family(family, now)
        self.message_user(request, f"Revoked {len(families)} token family(ies).", messages.SUCCESS)


@admin.register(RevokedTokenFamily)
class RevokedTokenFamilyAdmin(ReadOnlyAdmin):
    list_display = ("family", "revoked_at", "expires_at")
    search_fields = ("family",)


@admin.register(RevokedUserTokens)
class RevokedUserTokensAdmin(ReadOnlyAdmin):
    """A deleted mark would let the user's earlier access tokens back in: read-only, and no delete either."""

    list_display = ("user_id", "revoked_before")
    search_fields = ("user_id",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
