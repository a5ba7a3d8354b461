"""Upstream's token classes, validated by the Rust core.

Each class subclasses its upstream namesake (``isinstance`` checks keep
working) and reads ``SIMPLE_JWT`` at call time, so lifetimes and claim names
follow ``override_settings``.  A token whose class does not override
``verify()`` is validated in one ``Codec.decode`` call: signature, ``exp``,
``nbf``, ``aud``, ``iss``, token type and ``jti``.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import tokens as upstream
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch, get_md5_hash_password

from . import backends, errors, policy, store
from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import new_jti
from .settings import get

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from rest_framework_simplejwt.backends import TokenBackend as UpstreamTokenBackend

    class _ChecksBlacklist(Protocol):
        """A token class with ``check_blacklist`` (BlacklistMixin's, this module's or an older one's)."""

        def check_blacklist(self) -> None: ...


# Freezing time the way upstream's tests do, ``patch("....tokens.aware_utcnow")`` on this module or on
# upstream's, moves the clock of every token path (settings.now), the Rust checks included.
__all__ = ["AccessToken", "BlacklistMixin", "RefreshToken", "SlidingToken", "Token", "UntypedToken", "aware_utcnow"]
jwt_settings.clock_patchable_in(sys.modules[__name__])
jwt_settings.clock_patchable_in(upstream)


class _Setting:
    """A class attribute that reads a ``SIMPLE_JWT`` setting when accessed (upstream binds it at import)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return get(self.name)


def token_error(exc: core_exc.JWTError) -> TokenError:
    """A core error as upstream's token classes raise it (see :func:`errors.token_error`)."""
    return errors.token_error(exc, get("TOKEN_TYPE_CLAIM"), get("JTI_CLAIM"))


class _FastPath:
    """How a token class is validated in one ``Codec.decode`` call, worked out once per class and settings.

    ``None`` in the cache: the class overrides ``verify()`` (or has no type or
    lifetime), so it takes upstream's Python path.
    """

    def __init__(self, cls: type[Token], backend: backends.TokenBackend) -> None:
        self.backend = backend
        # With JWK_URL the codec depends on the token's kid (backend.codec_for: with KEYS as well, our
        # kids and kid-less tokens are the key set's); otherwise it is fixed, and so is the call.
        self.codec = backend.codec if backend.jwks is None else None
        type_claim = get("TOKEN_TYPE_CLAIM")
        self.type_in_core = type_claim is not None and cls.verify_token_type is Token.verify_token_type
        self.decode_kwargs = {
            "token_type": cls.token_type if self.type_in_core else None,
            "token_type_claim": type_claim or "token_type",
            "jti_claim": get("JTI_CLAIM"),
            "require_exp": True,
        }
        self.decoder = None if self.codec is None else self.codec.decoder(**self.decode_kwargs)
        # Hooks a subclass overrode still run, in Python.
        self.check_exp_in_python = cls.check_exp is not Token.check_exp
        self.check_type_in_python = type_claim is not None and not self.type_in_core
        # By the method, not by isinstance: a class made before ``reload(tokens)`` (as upstream's tests
        # do) derives from the old BlacklistMixin and must still be checked.
        self.check_blacklist = hasattr(cls, "check_blacklist")
        # The common case (AccessToken): one call to the bound decoder and nothing else.
        self.only_core = self.decoder is not None and not (
            self.check_exp_in_python or self.check_type_in_python or self.check_blacklist
        )


_fast_paths: dict[type, _FastPath] = {}
jwt_settings.on_change(_fast_paths.clear)


def _fast_path(cls: type[Token], backend: Any) -> _FastPath | None:
    path = _fast_paths.get(cls)
    if path is None or path.backend is not backend or (path.codec is not None and path.codec is not backend.codec):
        ours = (
            cls.verify is Token.verify
            and cls.token_type is not None
            and cls.lifetime is not None
            and isinstance(backend, backends.TokenBackend)
        )
        if not ours:
            return None
        path = _fast_paths[cls] = _FastPath(cls, backend)
    return path


class Token(upstream.Token):
    # Worked out on first use: a token that is only decoded and checked never needs the datetime.
    _now: float = 0.0
    _current_time: datetime | None = None
    # Whether a key of the JWK set (JWK_URL: a partner's, verify-only) may verify a token of this class.  It
    # may authenticate and verify; a token of a class that is only ever presented to mint from (refresh
    # tokens) must be one our own keys signed.
    jwk_set_may_verify: ClassVar[bool] = True
    # A token a key of the JWK set verified: the token as presented and its claims as verified.  Such a
    # token is never re-signed with our key (see __str__).
    _presented_foreign: tuple[str, dict[str, Any]] | None = None

    @property
    def current_time(self) -> datetime:
        if self._current_time is None:
            self._current_time = datetime_from_epoch(self._now)
        return self._current_time

    @current_time.setter
    def current_time(self, value: datetime) -> None:
        self._current_time = value

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        self.token = token
        self._now = now = jwt_settings.now()
        if token is not None and verify:
            fast = _fast_path(type(self), self._token_backend or backends.token_backend())
            if fast is not None and fast.only_core:
                try:
                    self.payload = fast.decoder(token, now)  # type: ignore[misc]
                except core_exc.JWTError as exc:
                    raise token_error(exc) from exc
                return
            if fast is not None:
                self.payload = self._decode_verified(fast, token, now)
                return
        if self.token_type is None or self.lifetime is None:
            raise TokenError(_("Cannot create token with no type or lifetime"))
        if token is None:
            type_claim = get("TOKEN_TYPE_CLAIM")
            self.payload = {type_claim: self.token_type} if type_claim is not None else {}
            self.set_exp(from_time=self.current_time, lifetime=self.lifetime)
            self.set_iat(at_time=self.current_time)
            self.set_jti()
            return
        backend = self.get_token_backend()
        try:
            if verify and isinstance(backend, backends.TokenBackend):
                if not self.jwk_set_may_verify:
                    backend.minting_codec_for(token)  # TokenBackendError for a token of the JWK set's keys
                self.payload = backend.decode(token, verify=True)
                self._remember_if_foreign(backend, token)
            else:
                self.payload = backend.decode(token, verify=verify)
        except TokenBackendError as exc:
            if errors.SPLIT_EXPIRED and isinstance(exc, errors.ExpiredBackendError):
                raise errors.ExpiredTokenError(errors.MSG_EXPIRED) from exc
            raise errors.invalid() from exc
        if verify:
            self.verify()

    def _remember_if_foreign(self, backend: backends.TokenBackend, token: Any) -> None:
        if backend.routes_to_jwk_set(token):
            presented = token.decode("ascii") if isinstance(token, bytes) else str(token)
            self._presented_foreign = (presented, copy.deepcopy(self.payload))

    def __str__(self) -> str:
        """The token signed with our key; a token a key of the JWK set verified is never re-signed.

        Unchanged, it is handed back as presented (their signature, not ours); changed (a sliding refresh's
        new ``exp``, a claim set), it raises TokenError ("Token is invalid").
        """
        presented = self._presented_foreign
        if presented is not None:
            if presented[1] != self.payload:
                raise errors.invalid()
            return presented[0]
        return super().__str__()

    def _decode_verified(self, fast: _FastPath, token: Any, now: float) -> Any:
        """The fast path: everything ``verify()`` checks, in one Rust call."""
        try:
            if fast.decoder is not None:
                self.payload = fast.decoder(token, now)
            else:
                backend = fast.backend
                try:
                    if self.jwk_set_may_verify:
                        codec = backend.codec_for(token)
                    else:
                        codec = backend.minting_codec_for(token)
                except TokenBackendError as exc:
                    raise errors.invalid() from exc
                self.payload = codec.decode(token, now=now, **fast.decode_kwargs)
                self._remember_if_foreign(backend, token)
        except core_exc.JWTError as exc:
            raise token_error(exc) from exc
        if fast.check_exp_in_python:
            self.check_exp()
        if fast.check_type_in_python:
            self.verify_token_type()
        if fast.check_blacklist:  # the class has check_blacklist (see _FastPath)
            cast("_ChecksBlacklist", self).check_blacklist()
        return self.payload

    def verify(self) -> None:
        """Upstream's checks, for subclasses that override ``verify`` and call ``super().verify()``."""
        check_blacklist = getattr(self, "check_blacklist", None)  # not isinstance: see _FastPath
        if check_blacklist is not None:
            check_blacklist()
        self.check_exp()
        jti_claim = get("JTI_CLAIM")
        if jti_claim is not None and jti_claim not in self.payload:
            raise errors.no_id()
        if get("TOKEN_TYPE_CLAIM") is not None:
            self.verify_token_type()

    def verify_token_type(self) -> None:
        try:
            token_type = self.payload[get("TOKEN_TYPE_CLAIM")]
        except KeyError as exc:
            raise errors.no_type() from exc
        if self.token_type != token_type:
            raise errors.wrong_type()

    def check_exp(self, claim: str = "exp", current_time: datetime | None = None) -> None:
        value = self.payload.get(claim)
        if claim in self.payload and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise errors.invalid()  # upstream would crash with a 500 on a non-number
        try:
            super().check_exp(claim, current_time)
        except (OverflowError, ValueError, OSError) as exc:  # beyond year 9999, or not finite: upstream's 500
            raise errors.invalid() from exc

    def set_jti(self) -> None:
        self.payload[get("JTI_CLAIM")] = new_jti()

    def outstand(self) -> Any:
        return None

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> Any:
        user_id = getattr(user, get("USER_ID_FIELD"))
        if jwt_settings.UPSTREAM_VERSION >= (5, 5) or not isinstance(user_id, int):
            user_id = str(user_id)  # up to 5.4 integer ids stayed integers
        token = cls()
        token[get("USER_ID_CLAIM")] = user_id
        if get("CHECK_REVOKE_TOKEN"):
            token[get("REVOKE_TOKEN_CLAIM")] = get_md5_hash_password(user.password)
        # The account itself, not only a USER_ID_FIELD value a later account may take (policy.token_account);
        # and, minted in the second of a "log out everywhere", that it comes after it (policy.revoked_by_mark).
        token.payload.update(policy.account_claims(user))
        token.payload.update(policy.after_revocation_claims(user, token.payload))
        return token

    # Ours, unless the class was given another backend (upstream's too) as _token_backend: upstream's type.
    @property
    def token_backend(self) -> UpstreamTokenBackend:
        return self._token_backend or backends.token_backend()


def check_own_key(token: Any) -> None:
    """Raise TokenError if a key of the JWK set verified ``token``: a path about to mint from it calls this."""
    if getattr(token, "_presented_foreign", None) is not None:
        raise errors.invalid()


@contextmanager
def _as_token_error() -> Iterator[None]:
    """The store's refusals (a reuse, a revoked family) as a token class raises them: TokenError, whose message
    they keep, so that callers catching upstream's exception (dj-rest-auth's logout) still catch them."""
    try:
        yield
    except AuthenticationFailed as exc:
        detail = exc.detail.get("detail", exc.detail) if isinstance(exc.detail, dict) else exc.detail
        raise TokenError(str(detail)) from exc


class BlacklistMixin:
    """Outstanding-token and blacklist bookkeeping with upstream's ``token_blacklist`` app, through the store.

    Upstream decides at import time whether these methods exist; here they check
    ``INSTALLED_APPS`` when called.  ``blacklist()`` still raises AttributeError
    without the app, because upstream's callers rely on that.
    """

    payload: dict[str, Any]
    current_time: datetime
    _now: float
    # Set by :meth:`for_store`: the store's consuming write decides about the blacklist instead.
    _store_decides = False

    @classmethod
    def for_store(cls, token: Any) -> Any:
        """The token verified in every way but the blacklist, for a path whose store write checks it.

        A consumed token is blacklisted too; refresh and logout must see it to tell a reuse.
        """
        instance = cls.__new__(cls)
        instance._store_decides = True
        instance.__init__(token)  # type: ignore[misc]
        return instance

    def check_blacklist(self) -> None:
        if not self._store_decides:
            with _as_token_error():
                store.check_blacklist(self.payload, self._now, type(self), policy.named_user)

    def blacklist(self) -> Any:
        """Log this token out through the store (consumed once, with single-use rotation); upstream's result."""
        if not jwt_settings.blacklist_installed():
            raise AttributeError("blacklist() needs rest_framework_simplejwt.token_blacklist in INSTALLED_APPS")
        user = policy.named_user(self.payload)
        with _as_token_error():
            return store.logout(self.payload, user, jwt_settings.now(), type(self))

    def outstand(self) -> Any:
        if not jwt_settings.blacklist_installed():
            return None
        return store.outstand(self.payload, self.current_time, policy.named_user(self.payload))

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> Any:
        token = super().for_user(user)  # type: ignore[misc]
        if jwt_settings.blacklist_installed():
            store.outstand(token.payload, token.current_time, user)
        return token


class SlidingToken(BlacklistMixin, Token, upstream.SlidingToken):
    token_type = "sliding"
    lifetime = _Setting("SLIDING_TOKEN_LIFETIME")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.token is None:
            self.set_exp(
                get("SLIDING_TOKEN_REFRESH_EXP_CLAIM"),
                from_time=self.current_time,
                lifetime=get("SLIDING_TOKEN_REFRESH_LIFETIME"),
            )


class AccessToken(Token, upstream.AccessToken):
    token_type = "access"
    lifetime = _Setting("ACCESS_TOKEN_LIFETIME")


class _NoCopyClaims:
    """Upstream's list with the current claim names; "iat" only where the installed release has it (5.4+:
    before, ``refresh.access_token`` carried the refresh token's iat)."""

    iat = ("iat",) if "iat" in upstream.RefreshToken.no_copy_claims else ()

    def __get__(self, obj: object, owner: type | None = None) -> tuple[str, ...]:
        return (get("TOKEN_TYPE_CLAIM"), "exp", get("JTI_CLAIM"), "jti", *self.iat)


class RefreshToken(BlacklistMixin, Token, upstream.RefreshToken):
    token_type = "refresh"
    lifetime = _Setting("REFRESH_TOKEN_LIFETIME")
    # Presented only to mint (refresh, rotation) or to be logged out: a partner's is refused.
    jwk_set_may_verify = False
    # Upstream's literal is typed as a 5-tuple; ours has "iat" only on simplejwt 5.4+.
    no_copy_claims = _NoCopyClaims()  # type: ignore[assignment]
    access_token_class = AccessToken

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.token is None:
            # A new refresh token starts a token family (rotation carries the claim on).
            claim = store.family_claim()
            if claim:
                self.payload[claim] = self.payload[get("JTI_CLAIM")]


class UntypedToken(Token, upstream.UntypedToken):
    token_type = "untyped"
    lifetime = timedelta(seconds=0)

    def verify_token_type(self) -> None:
        """Untyped tokens accept any type (used by the verify endpoint)."""
