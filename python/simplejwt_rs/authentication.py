"""DRF authentication classes: upstream's, with the user policy and current settings."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework_simplejwt import authentication as upstream
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from . import backends, cookies, errors, events, policy, policy_cache, store, tokens
from .policy import default_user_authentication_rule
from .policy_cache import async_reads, lookup
from .settings import get, get_ours


def auth_header_types() -> tuple[str, ...]:
    types = get("AUTH_HEADER_TYPES")
    return tuple(types) if isinstance(types, (list, tuple)) else (types,)


def _encoded_header_types() -> frozenset[bytes]:
    """``AUTH_HEADER_TYPES`` as the header's bytes spell them, encoded once per value (read on every request)."""
    types = get("AUTH_HEADER_TYPES")
    seen = _encoded[0]
    items = tuple(types) if isinstance(types, (list, tuple)) else (types,)
    if seen is not None and seen[0] is types and seen[1] == items:
        return seen[2]
    encoded = frozenset(t.encode(HTTP_HEADER_ENCODING) for t in items)
    _encoded[0] = (types, items, encoded)
    return encoded


_encoded: list[tuple[Any, tuple[Any, ...], frozenset[bytes]] | None] = [None]


def _claims(validated_token: Any) -> Any:
    """A token's claims; upstream's ``get_user`` also takes a plain mapping, and callers pass one."""
    return getattr(validated_token, "payload", validated_token)


class JWTAuthentication(upstream.JWTAuthentication):
    """Upstream's, but the user must pass ``USER_AUTHENTICATION_RULE`` (not only ``is_active``)."""

    def authenticate_header(self, request: Any) -> str:
        return f'{auth_header_types()[0]} realm="{self.www_authenticate_realm}"'

    def get_header(self, request: Any) -> Any:
        header = request.META.get(get("AUTH_HEADER_NAME"))
        if isinstance(header, str):
            try:
                header = header.encode(HTTP_HEADER_ENCODING)
            except UnicodeEncodeError:
                raise InvalidToken() from None  # upstream answers a 500
        return header

    def get_raw_token(self, header: bytes) -> bytes | None:
        parts = header.split()
        if not parts or parts[0] not in _encoded_header_types():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Authorization header must contain two space-delimited values"),
                code="bad_authorization_header",
            )
        return parts[1]

    # A database outage (a token's blacklist row, the user row, the policy cache's fallback) is a 503 with a
    # code, here and in upstream's classes routed to these methods (PATCH_UPSTREAM_CLASSES).
    @store.database_guard("JWTAuthentication.get_validated_token")
    def get_validated_token(self, raw_token: bytes) -> Any:
        messages = []
        for token_class in get_ours("AUTH_TOKEN_CLASSES"):
            try:
                return token_class(raw_token)
            except TokenError as exc:
                messages.append(
                    {"token_class": token_class.__name__, "token_type": token_class.token_type, "message": exc.args[0]}
                )
        raise InvalidToken({"detail": _("Given token not valid for any token type"), "messages": messages})

    @store.database_guard("JWTAuthentication.get_user")
    def get_user(self, validated_token: Any) -> Any:
        if get("USER_ID_CLAIM") not in validated_token:
            raise InvalidToken(_("Token contained no recognizable user identification"))
        claims = _claims(validated_token)
        try:
            if policy_cache.enabled():
                # The user row is loaded (request.user is the model) and judged: the cache adds the revoked
                # families and "log out everywhere", which a user row cannot tell.
                return policy_cache.check(claims, load_user=True)
            return policy.token_user(claims)
        except policy.UserRefused as refused:
            raise events.refusal(errors.request_error(refused), refused.user, claims) from refused

    # --- async (django-ninja's AsyncJWTAuth, adrf, any async caller): methods added beside the sync path,
    # which they do not change.  The token is decoded in the event loop (the Rust core; no I/O).  The user row
    # comes from the near cache when POLICY_NEAR_CACHE_USERS keeps it (no hop); otherwise it is read with the
    # sync code above in one sync_to_async hop: Django's async ORM is sync_to_async per query (QuerySet.aget),
    # and a cold check is up to three queries and a cache fill, so one hop around all of it is the fewest.

    async def aauthenticate(self, request: Any) -> tuple[Any, Any] | None:
        """``authenticate`` for async code: the same answers, refusals and exceptions."""
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        if not _decoded_in_core(self):
            authenticate: Any = self.authenticate
            return await sync_to_async(authenticate)(request)  # a verify() of the project's own: one hop
        validated_token = self.get_validated_token(raw_token)
        return await self.aget_user(validated_token), validated_token

    async def aget_user(self, validated_token: Any) -> Any:
        """``get_user`` in the event loop: no hop when the near cache keeps the user's row
        (``POLICY_NEAR_CACHE_USERS``, :func:`~simplejwt_rs.policy_cache.lookup.near_user`); otherwise one."""
        if (
            type(self).get_user is JWTAuthentication.get_user
            and get("USER_ID_CLAIM") in validated_token
            and policy_cache.enabled()
        ):
            claims = _claims(validated_token)
            try:
                user = lookup.near_user(claims)
            except policy.UserRefused as refused:
                raise events.refusal(errors.request_error(refused), refused.user, claims) from refused
            if user is not None:
                return user
        return await sync_to_async(self.get_user)(validated_token)


def _decoded_in_core(authenticator: Any) -> bool:
    """Whether ``get_validated_token`` is ours and every ``AUTH_TOKEN_CLASSES`` class is verified by the Rust
    core alone (no Python ``verify()``, blacklist row or key fetch): then it can run in the event loop."""
    if type(authenticator).get_validated_token is not JWTAuthentication.get_validated_token:
        return False
    for token_class in get_ours("AUTH_TOKEN_CLASSES"):
        fast = tokens._fast_path(token_class, token_class._token_backend or backends.token_backend())
        if fast is None or not fast.only_core:
            return False
    return True


class JWTStatelessUserAuthentication(JWTAuthentication, upstream.JWTStatelessUserAuthentication):
    """No user row: the token vouches for the user (as upstream).

    With ``POLICY_CACHE`` the whole user policy still applies (inactive, the rule's refusal, password
    changed, revoked family, logged out everywhere), answered by the cache: no SQL query when it is warm.
    """

    @store.database_guard("JWTStatelessUserAuthentication.get_user")
    def get_user(self, validated_token: Any) -> Any:
        if get("USER_ID_CLAIM") not in validated_token:
            raise InvalidToken(_("Token contained no recognizable user identification"))
        if policy_cache.enabled():
            try:
                policy_cache.check(_claims(validated_token))
            except policy.UserRefused as refused:
                raise events.refusal(errors.request_error(refused), refused.user, _claims(validated_token)) from refused
        return get("TOKEN_USER_CLASS")(validated_token)

    async def aget_user(self, validated_token: Any) -> Any:
        """``get_user`` in the event loop: no hop without ``POLICY_CACHE`` (no row is read) or when the cache
        is warm (:func:`~simplejwt_rs.policy_cache.async_reads.verdict`); otherwise the sync path, one hop."""
        if type(self).get_user is not JWTStatelessUserAuthentication.get_user:
            return await sync_to_async(self.get_user)(validated_token)  # the project's own get_user
        if get("USER_ID_CLAIM") not in validated_token:
            raise InvalidToken(_("Token contained no recognizable user identification"))
        if policy_cache.enabled():
            try:
                warm = await async_reads.verdict(_claims(validated_token))
            except policy.UserRefused as refused:
                raise events.refusal(errors.request_error(refused), refused.user, _claims(validated_token)) from refused
            if not warm:
                return await sync_to_async(self.get_user)(validated_token)
        return get("TOKEN_USER_CLASS")(validated_token)


JWTTokenUserAuthentication = JWTStatelessUserAuthentication


class JWTCookieAuthentication(JWTAuthentication):
    """For browser apps: the ``Authorization`` header when it carries a token, else the ``AUTH_COOKIE`` cookie.

    A request the header authenticates needs no CSRF token (non-browser clients keep working).  A request
    the cookie authenticates with an unsafe method must pass Django's CSRF check, as DRF's
    ``SessionAuthentication`` enforces it (403 ``csrf_failed``).  The same user policy as
    ``JWTAuthentication``.  See docs/browser-apps.md.
    """

    def authenticate(self, request: Any) -> Any:
        header = self.get_header(request)
        raw_token = None if header is None else self.get_raw_token(header)
        if raw_token is not None:
            validated_token = self.get_validated_token(raw_token)
            return self.get_user(validated_token), validated_token
        raw_cookie = cookies.read(request, cookies.ACCESS)
        if raw_cookie is None:
            return None
        try:
            raw_token = raw_cookie.encode(HTTP_HEADER_ENCODING)
        except UnicodeEncodeError:
            raise InvalidToken() from None
        validated_token = self.get_validated_token(raw_token)
        user = self.get_user(validated_token)
        cookies.enforce_csrf(request)
        return user, validated_token

    async def aauthenticate(self, request: Any) -> Any:
        """The cookie transport in async code: the sync path above in one hop (the CSRF check is sync)."""
        return await sync_to_async(self.authenticate)(request)


__all__ = [
    "JWTAuthentication",
    "JWTCookieAuthentication",
    "JWTStatelessUserAuthentication",
    "JWTTokenUserAuthentication",
    "default_user_authentication_rule",
]
