"""Upstream's serializers, with the user policy at every entry point.

Refresh goes through ``Codec.refresh``: the refresh token is verified, the
policy runs as its callback, and the access (and rotated refresh) token is
minted, in one Rust call.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import _clean_credentials, authenticate
from django.contrib.auth.models import update_last_login
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import serializers as upstream
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.utils import datetime_from_epoch

from . import backends, errors, events, policy, sessions, store, tokens
from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import new_jti
from .settings import get
from .tokens import RefreshToken, SlidingToken, UntypedToken

if TYPE_CHECKING:
    from rest_framework_simplejwt.tokens import RefreshToken as UpstreamRefreshToken


def default_on_login_success(user: Any, request: Any) -> None:
    """``ON_LOGIN_SUCCESS``'s default (called only with ``UPDATE_LAST_LOGIN``, as simplejwt 6.0 does)."""
    update_last_login(None, user)


def default_on_login_failed(credentials: dict[str, Any], request: Any) -> None:
    """``ON_LOGIN_FAILED``'s default: nothing."""


def login_failed(attrs: dict[str, Any], context: dict[str, Any]) -> None:
    """``ON_LOGIN_FAILED(credentials, request)``, the password masked (as simplejwt 6.0 calls it).

    A function, not a method: with ``PATCH_UPSTREAM_CLASSES`` upstream's obtain serializer runs our ``validate``.
    """
    get("ON_LOGIN_FAILED")(_clean_credentials(attrs), context.get("request"))


def logged_in(serializer: Any, token: Any) -> None:
    """A login by an obtain serializer (ours, or upstream's routed to ours): the session and its security
    events (:func:`sessions.logged_in`), then ``ON_LOGIN_SUCCESS(user, request)`` with ``UPDATE_LAST_LOGIN``
    (as simplejwt 6.0).  A function: with ``PATCH_UPSTREAM_CLASSES`` it runs for upstream's serializers."""
    request = serializer.context.get("request")
    sessions.logged_in(serializer.user, token, request, type(serializer))
    if get("UPDATE_LAST_LOGIN"):
        get("ON_LOGIN_SUCCESS")(serializer.user, request)


# Every token serializer's validate (ours, and upstream's routed to ours by PATCH_UPSTREAM_CLASSES) runs under
# the one database guard (store.database_guard): an outage, whichever step met it (Django's authenticate, the
# user lookup, the store), is a 503 ``database_unavailable``, a lock timeout a 503 ``token_store_busy``.


class TokenObtainSerializer(upstream.TokenObtainSerializer):
    @store.database_guard("TokenObtainSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        credentials = {self.username_field: attrs[self.username_field], "password": attrs["password"]}
        if "request" in self.context:
            credentials["request"] = self.context["request"]
        self.user = authenticate(**credentials)
        try:
            allowed = policy.allows(self.user)
        except policy.Refuse as refusal:
            login_failed(attrs, self.context)
            raise events.login_failure(errors.rule_error(refusal), self.user, self.context, type(self)) from refusal
        if not allowed:
            login_failed(attrs, self.context)
            wrong = errors.obtain_error(self.error_messages["no_active_account"])
            raise events.login_failure(wrong, None, self.context, type(self))
        return {}

    @classmethod
    def get_token(cls, user: Any) -> Any:
        """Upstream's, and called from elsewhere than validate (dj-rest-auth's login calls it), a login:
        the session and its security events (``sessions.minted_for_login``)."""
        token = super().get_token(user)
        sessions.minted_for_login(user, token, cls)
        return token


class TokenObtainPairSerializer(TokenObtainSerializer, upstream.TokenObtainPairSerializer):
    token_class = RefreshToken

    # With PATCH_UPSTREAM_CLASSES this validate runs for upstream's pair serializer and a project's subclass of
    # it (not an instance of ours): hence the explicit base call, and the module's logged_in().
    @store.database_guard("TokenObtainPairSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = TokenObtainSerializer.validate(self, attrs)
        with sessions.obtaining():
            # Upstream types get_token as returning any Token; a pair serializer's token_class makes refresh tokens.
            refresh = cast("UpstreamRefreshToken", self.get_token(self.user))
        data["refresh"] = str(refresh)
        data["access"] = str(refresh.access_token)
        logged_in(self, refresh)
        return data


class TokenObtainSlidingSerializer(TokenObtainSerializer, upstream.TokenObtainSlidingSerializer):
    token_class = SlidingToken

    @store.database_guard("TokenObtainSlidingSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = TokenObtainSerializer.validate(self, attrs)  # as the pair serializer's: runs for upstream's too
        with sessions.obtaining():
            token = self.get_token(self.user)
        data["token"] = str(token)
        logged_in(self, token)
        return data


def check_user(claims: dict[str, Any], created_at: Any, *, revoke: bool) -> Any:
    """The policy at a token endpoint; with ``revoke``, a token refused for a password change is blacklisted.

    Returns the user (None when the token names none).  A token the user's "log out everywhere" mark
    revokes is refused here too, by the same rule as authentication (``token_family_revoked``).
    """
    try:
        return policy.token_user(claims, revocations=True)
    except policy.UserRefused as refused:
        changed = refused.reason == errors.PASSWORD_CHANGED
        if revoke and changed and jwt_settings.blacklist_installed() and get("JTI_CLAIM") in claims:
            store.blacklist(claims, created_at, refused.user)
        raise events.refusal(errors.token_endpoint_error(refused), refused.user, claims) from refused


def verified_for_store(token_class: Any, raw: str) -> Any:
    """``token_class(raw)``, leaving the blacklist to the store's write (see ``BlacklistMixin.for_store``)."""
    for_store = getattr(token_class, "for_store", None)
    return token_class(raw) if for_store is None else for_store(raw)


class TokenRefreshSerializer(upstream.TokenRefreshSerializer):
    """Refresh in a straight line: verify in Rust -> ``admit`` does the whole admission -> Rust mints.

    ``admit`` is the callback ``Codec.refresh`` calls between verifying the presented token and minting.
    Its database work begins and ends inside it: no transaction is open when it returns, so none crosses
    into Rust. The successor's jti and ``exp`` are chosen before the call, so its records need nothing
    from the minted token (which no table stores).
    """

    token_class = RefreshToken
    default_error_messages = {"no_active_account": _("No active account found for the given token.")}

    def _refresh(self, raw: str, admit: Any, now: float, rotate: bool) -> dict[str, Any]:
        """``Codec.refresh`` with this serializer's token classes and the current settings."""
        token_class = self.token_class
        access_class = token_class.access_token_class
        try:
            codec = backends.as_ours(token_class._token_backend or backends.token_backend()).minting_codec_for(raw)
        except TokenBackendError as exc:
            raise errors.invalid() from exc
        try:
            return codec.refresh(
                raw,
                admit,
                access_lifetime=access_class.lifetime,
                refresh_lifetime=token_class.lifetime,
                rotate=rotate,
                token_type_claim=get("TOKEN_TYPE_CLAIM"),
                jti_claim=get("JTI_CLAIM"),
                access_token_type=access_class.token_type,
                refresh_token_type=token_class.token_type,
                now=now,
            )
        except core_exc.JWTError as exc:
            raise tokens.token_error(exc) from exc

    @store.database_guard("TokenRefreshSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        raw = attrs["refresh"]
        token_class = self.token_class
        if token_class.verify is not tokens.Token.verify:
            verified_for_store(token_class, raw)  # a custom verify() runs in Python first; the core verifies again
        now = jwt_settings.now()
        created_at = datetime_from_epoch(now)
        rotate = bool(get("ROTATE_REFRESH_TOKENS"))
        single_use = store.rotation_active()
        jti_claim = get("JTI_CLAIM")
        # Rotating: the successor's exp and jti, chosen now; the core sets them on the token it mints.
        successor: dict[str, Any] = {}
        if rotate:
            successor["exp"] = math.floor(now + token_class.lifetime.total_seconds())
            if jti_claim is not None:
                successor[jti_claim] = new_jti()
        recorded = rotate and jti_claim is not None and jwt_settings.blacklist_installed()
        admitted: dict[str, Any] = {}  # the user, for the security event

        def admit(claims: dict[str, Any]) -> Any:
            """The whole admission: the policy, then (rotating) one transaction that consumes the presented
            token (single-use rotation) and records the successor. Returns the successor's claims."""
            if not single_use:
                store.refuse_blacklisted(claims, now)
            user = admitted["user"] = check_user(claims, created_at, revoke=True)
            if not rotate:
                return True
            if not single_use:
                if recorded:
                    store.outstand(successor, created_at, user)
                return successor
            try:
                family = store.rotate(claims, successor, user=user, now=now, created_at=created_at)
            except store.Reused as reused:  # its transaction has rolled back: revoke outside it
                store.refuse_reuse(reused, now, sender=type(self))
            family_claim = store.family_claim()
            return {**successor, family_claim: family} if family_claim else successor

        result = self._refresh(raw, admit, now, rotate)
        events.token_created(
            admitted.get("user"), result["refresh_claims"] or result["access_claims"], sender=type(self)
        )
        if not rotate:
            return {"access": result["access"]}
        return {"access": result["access"], "refresh": result["refresh"]}


class TokenRefreshSlidingSerializer(upstream.TokenRefreshSlidingSerializer):
    token_class = SlidingToken

    @store.database_guard("TokenRefreshSlidingSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        token = self.token_class(attrs["token"])
        tokens.check_own_key(token)  # a token of the JWK set's keys is not ours to slide: 401
        token.check_exp(get("SLIDING_TOKEN_REFRESH_EXP_CLAIM"))
        user = check_user(token.payload, token.current_time, revoke=True)
        token.set_exp()
        token.set_iat()
        store.extend_outstanding(token.payload)  # the same jti now lives longer
        events.token_created(user, token.payload, sender=type(self))
        return {"token": str(token)}


class TokenVerifySerializer(upstream.TokenVerifySerializer):
    @store.database_guard("TokenVerifySerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = UntypedToken(attrs["token"])
        now = jwt_settings.now()
        # A consumed refresh token presented here is a reuse like at refresh; then the family.
        store.check_presented(token.payload, now, type(self), policy.named_user)
        # Upstream checks the blacklist only with BLACKLIST_AFTER_ROTATION, and answers 400.
        token_type = token.get(get("TOKEN_TYPE_CLAIM"))
        recorded = token_type in (RefreshToken.token_type, SlidingToken.token_type)
        store.refuse_blacklisted(token.payload, now, recorded=recorded)
        if get("VERIFY_CHECKS_USER"):
            check_user(token.payload, token.current_time, revoke=False)
        return {}


class TokenBlacklistSerializer(upstream.TokenBlacklistSerializer):
    """Logout: with single-use rotation the token is consumed exactly as a refresh consumes it."""

    token_class = RefreshToken

    @store.database_guard("TokenBlacklistSerializer.validate")
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = attrs["refresh"]
        refresh = verified_for_store(self.token_class, raw)
        if not jwt_settings.blacklist_installed():
            return {}  # nothing to record (as upstream)
        now = jwt_settings.now()
        if not store.rotation_active():
            # Logged out already: "Token is blacklisted", as upstream's RefreshToken(raw) says (blacklist() itself
            # stays idempotent).  With single-use rotation the store's consume refuses it as a reuse.
            store.refuse_blacklisted(refresh.payload, now)
        store.logout(refresh.payload, policy.named_user(refresh.payload), now, type(self))
        return {}
