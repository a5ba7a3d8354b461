"""Upstream's serializers, with the user policy at every entry point.

Refresh goes through ``Codec.refresh``: the refresh token is verified, the
policy runs as its callback, and the access (and rotated refresh) token is
minted, in one Rust call.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import OperationalError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exc
from rest_framework_simplejwt import serializers as upstream
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from . import backends, policy, rotation, tokens
from . import checks as _checks  # noqa: F401  (registers the system checks even without "simplejwt_rs" installed)
from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import new_jti
from .settings import get
from .tokens import RefreshToken, SlidingToken, UntypedToken


class TokenObtainSerializer(upstream.TokenObtainSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        credentials = {self.username_field: attrs[self.username_field], "password": attrs["password"]}
        if "request" in self.context:
            credentials["request"] = self.context["request"]
        self.user = authenticate(**credentials)
        if not policy.allows(self.user):
            raise drf_exc.AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        return {}

    def logged_in(self) -> None:
        if get("UPDATE_LAST_LOGIN"):
            update_last_login(None, self.user)


class TokenObtainPairSerializer(TokenObtainSerializer, upstream.TokenObtainPairSerializer):
    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = super().validate(attrs)
        refresh = self.get_token(self.user)
        data["refresh"] = str(refresh)
        data["access"] = str(refresh.access_token)
        self.logged_in()
        return data


class TokenObtainSlidingSerializer(TokenObtainSerializer, upstream.TokenObtainSlidingSerializer):
    token_class = SlidingToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = super().validate(attrs)
        data["token"] = str(self.get_token(self.user))
        self.logged_in()
        return data


def check_user(claims: dict[str, Any], token: str, created_at: Any, *, revoke: bool) -> Any:
    """The policy at a token endpoint; with ``revoke``, a token refused for a password change is blacklisted.

    Returns the user (None when the token names none).
    """
    try:
        return policy.token_user(claims)
    except policy.UserRefused as refused:
        changed = refused.reason == policy.PASSWORD_CHANGED
        if revoke and changed and jwt_settings.blacklist_installed() and get("JTI_CLAIM") in claims:
            tokens.blacklist(claims, token, created_at)
        raise policy.token_endpoint_error(refused) from refused


class TokenRefreshSerializer(upstream.TokenRefreshSerializer):
    token_class = RefreshToken
    default_error_messages = {"no_active_account": _("No active account found for the given token.")}

    def _refresh(self, raw: str, admit: Any, now: float, **rotation_args: Any) -> dict[str, Any]:
        """``Codec.refresh`` with this serializer's token classes and the current settings."""
        token_class = self.token_class
        access_class = token_class.access_token_class
        try:
            codec = (token_class._token_backend or backends.token_backend()).codec_for(raw)
        except TokenBackendError as exc:
            raise TokenError(backends.MSG_INVALID) from exc
        try:
            return codec.refresh(
                raw,
                admit,
                access_lifetime=access_class.lifetime,
                token_type_claim=get("TOKEN_TYPE_CLAIM"),
                jti_claim=get("JTI_CLAIM"),
                access_token_type=access_class.token_type,
                refresh_token_type=token_class.token_type,
                now=now,
                **rotation_args,
            )
        except core_exc.JWTError as exc:
            raise tokens.token_error(exc) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        raw = attrs["refresh"]
        token_class = self.token_class
        if token_class.verify is not tokens.Token.verify:
            token_class(raw)  # a custom verify() runs in Python first; the core verifies again below
        now = jwt_settings.now()
        created_at = datetime_from_epoch(now)
        if rotation.active():
            return self._rotate_once(raw, now, created_at)
        rotate = bool(get("ROTATE_REFRESH_TOKENS"))
        single_use = rotate and get("BLACKLIST_AFTER_ROTATION") and jwt_settings.blacklist_installed()

        def admit(claims: dict[str, Any]) -> bool:
            # Called by the core between verifying the refresh token and minting.
            if jwt_settings.blacklist_installed() and tokens.is_blacklisted(claims.get(get("JTI_CLAIM"))):
                raise TokenError(_("Token is blacklisted"))
            check_user(claims, raw, created_at, revoke=True)
            if single_use:
                tokens.blacklist_once(claims, raw, created_at)
            return True

        result = self._refresh(raw, admit, now, refresh_lifetime=token_class.lifetime, rotate=rotate)
        data = {"access": result["access"]}
        if rotate and result["refresh"] is not None and result["refresh_claims"] is not None:
            data["refresh"] = result["refresh"]
            if jwt_settings.blacklist_installed():
                tokens.outstand(result["refresh_claims"], result["refresh"], created_at)
        return data

    def _rotate_once(self, raw: str, now: float, created_at: Any) -> dict[str, str]:
        """Single-use rotation with reuse detection (see :mod:`simplejwt_rs.rotation`).

        The presented token is consumed inside the core's callback, so nothing
        is minted unless this request won it. The successor's jti is chosen
        before the call, so its record is written in the same statement that
        consumes the presented token; the callback adds the family id, which
        is known only once the presented token is verified.
        """
        lifetime = self.token_class.lifetime
        child_jti = new_jti()
        child_exp = math.floor(now + lifetime.total_seconds())
        successor_claims: dict[str, Any] = {get("JTI_CLAIM"): child_jti}
        consumed: dict[str, Any] = {}
        try:
            try:
                with ExitStack() as in_transaction:

                    def admit(claims: dict[str, Any]) -> bool:
                        user = check_user(claims, raw, created_at, revoke=True)
                        # The transaction starts with the consuming INSERT (a read first would let two
                        # SQLite writers deadlock on the lock upgrade); it ends once the successor is recorded.
                        in_transaction.enter_context(transaction.atomic())
                        family = rotation.consume(claims, raw, child_jti, child_exp, user, now)
                        family_claim = rotation.family_claim()
                        if family_claim:
                            successor_claims[family_claim] = family
                        consumed["user"] = user
                        return True

                    result = self._refresh(
                        raw, admit, now, refresh_lifetime=lifetime, rotate=True, rotated_claims=successor_claims
                    )
                    refresh = result["refresh"]
                    rotation.record_outstanding(result["refresh_claims"], refresh, created_at, consumed["user"])
            except rotation.Reused as reused:
                # The consuming transaction has rolled back; revoke outside it.
                rotation.refuse_reuse(reused, now, sender=type(self))
                raise AssertionError("refuse_reuse always raises") from reused
        except OperationalError as exc:
            # e.g. SQLite's "database is locked": rolled back, nothing consumed; the client may retry.
            raise rotation.TokenStoreBusy() from exc
        return {"access": result["access"], "refresh": refresh}


class TokenRefreshSlidingSerializer(upstream.TokenRefreshSlidingSerializer):
    token_class = SlidingToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        token = self.token_class(attrs["token"])
        token.check_exp(get("SLIDING_TOKEN_REFRESH_EXP_CLAIM"))
        check_user(token.payload, attrs["token"], token.current_time, revoke=True)
        token.set_exp()
        token.set_iat()
        return {"token": str(token)}


class TokenVerifySerializer(upstream.TokenVerifySerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = UntypedToken(attrs["token"])
        # Upstream checks the blacklist only with BLACKLIST_AFTER_ROTATION, and answers 400.
        if jwt_settings.blacklist_installed() and tokens.is_blacklisted(token.get(get("JTI_CLAIM"))):
            raise TokenError(_("Token is blacklisted"))
        if rotation.family_revoked(token.payload):
            raise rotation.TokenFamilyRevoked()
        if get("VERIFY_CHECKS_USER"):
            check_user(token.payload, attrs["token"], token.current_time, revoke=False)
        return {}


class TokenBlacklistSerializer(upstream.TokenBlacklistSerializer):
    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refresh = self.token_class(attrs["refresh"])
        try:
            refresh.blacklist()
        except AttributeError:
            pass  # blacklist app not installed: nothing to record (as upstream)
        return {}
