"""The rotation tables and the "log out everywhere" marks in Django's admin: read-only, a "revoke family" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from . import sessions, store
from . import settings as jwt_settings
from .models import RevokedTokenFamily, RevokedUserTokens, RotatedRefreshToken, TokenSession


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the token store only: a hand-edited record could revive a consumed token.

    Nor can a row be deleted here: every row records a consumption or a revocation, and deleting it would let
    the rotated refresh token, or the revoked family's tokens, in again.  (The store's flush commands remove
    the rows no token can be presented against any more.)
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RotatedRefreshToken)
class RotatedRefreshTokenAdmin(ReadOnlyAdmin):
    list_display = ("parent_jti", "jti", "family", "user_id", "logged_out", "issued_at", "expires_at")
    list_filter = ("logged_out",)
    search_fields = ("family", "jti", "parent_jti", "user_id")
    actions = ("revoke_families",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking changes who may use a token: the model's change permission (the view permission is not enough),
        although the rows themselves stay read-only."""
        codename = get_permission_codename("change", self.opts)
        return bool(request.user.has_perm(f"{self.opts.app_label}.{codename}"))

    @admin.action(description="Revoke the token families of the selected records", permissions=("revoke",))
    def revoke_families(self, request: HttpRequest, queryset: QuerySet[RotatedRefreshToken]) -> None:
        families = sorted(set(queryset.values_list("family", flat=True)))
        already = set(RevokedTokenFamily.objects.filter(family__in=families).values_list("family", flat=True))
        now = jwt_settings.now()
        for family in families:
            store.revoke_family(family, now)  # again for a revoked one too: blacklists what it minted since
        revoked = len(families) - len(already)
        if not revoked:
            message = ngettext(
                "Nothing revoked: the selected token family was already revoked.",
                "Nothing revoked: the %(count)d selected token families were already revoked.",
                len(already),
            ) % {"count": len(already)}
        else:
            message = ngettext("Revoked %(count)d token family", "Revoked %(count)d token families", revoked) % {
                "count": revoked
            }
            if already:
                message += ngettext(
                    "; %(count)d was already revoked.", "; %(count)d were already revoked.", len(already)
                ) % {"count": len(already)}
            else:
                message += "."
        self.message_user(request, message, messages.SUCCESS if revoked else messages.INFO)


@admin.register(RevokedTokenFamily)
class RevokedTokenFamilyAdmin(ReadOnlyAdmin):
    list_display = ("family", "revoked_at", "expires_at")
    search_fields = ("family",)


@admin.register(RevokedUserTokens)
class RevokedUserTokensAdmin(ReadOnlyAdmin):
    """A deleted mark would let the user's earlier access tokens back in."""

    list_display = ("user_id", "revoked_before")
    search_fields = ("user_id",)


@admin.register(TokenSession)
class TokenSessionAdmin(ReadOnlyAdmin):
    """Sessions (one per token family) as the logins and refreshes recorded them; end one with
    ``simplejwt_rs.sessions.revoke_session`` or from the rotation records' "revoke" action."""

    list_display = ("family", "user_id", "created", "last_used", "ends", "ip", "user_agent")
    search_fields = ("family", "user_id", "ip")
    list_filter = ("created",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TokenSession]:
        return sessions.with_use(super().get_queryset(request))

    @admin.display(ordering="last_used", description="last used")
    def last_used(self, obj: TokenSession) -> Any:
        return getattr(obj, "last_used", None)

    @admin.display(ordering="ends", description="ends")
    def ends(self, obj: TokenSession) -> Any:
        return getattr(obj, "ends", None)
