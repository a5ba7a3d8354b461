"""drf-spectacular extensions: our authentication classes and the token views in a project's OpenAPI schema.

Imported by the app's ``ready()`` only when ``drf_spectacular`` is in ``INSTALLED_APPS`` (the optional
extra ``simplejwt-rs[openapi]``); defining the classes registers them with drf-spectacular.

- ``JWTAuthentication`` (and subclasses, the stateless class included): the bearer scheme ``jwtAuth``, as
  drf-spectacular names upstream's; ``JWTCookieAuthentication``: ``jwtAuth`` or the access cookie
  (``jwtCookieAuth``, an ``apiKey`` in a cookie named ``AUTH_COOKIE``), either one.
- Every token view, upstream's (routed to our serializers) and ours, the cookie views included: its request
  and response bodies, and its refusals (``401``, ``403``, ``503``) as ``{"detail", "code"}``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework_simplejwt import views as upstream_views

from . import errors, views
from .authentication import auth_header_types
from .settings import get

# drf-spectacular keys a security scheme by name and warns when two classes claim one name: each class gets its own.
_SCHEME_NAMES = {
    "simplejwt_rs.authentication.JWTAuthentication": "jwtAuth",
    "simplejwt_rs.authentication.JWTStatelessUserAuthentication": "jwtStatelessAuth",
    "simplejwt_rs.authentication.JWTCookieAuthentication": "jwtCookie",
}


def _scheme_name(target: Any, default: str) -> str:
    cls = target if isinstance(target, type) else type(target)
    return _SCHEME_NAMES.get(f"{cls.__module__}.{cls.__qualname__}", f"{default}{cls.__name__}")


class JWTScheme(OpenApiAuthenticationExtension):
    """The bearer scheme of JWTAuthentication, JWTStatelessUserAuthentication and their subclasses."""

    target_class = "simplejwt_rs.authentication.JWTAuthentication"
    match_subclasses = True
    priority = 1  # over drf-spectacular's own for upstream's classes (a subclass of ours may also be theirs)
    name = "jwtAuth"

    def __init__(self, target: Any) -> None:
        super().__init__(target)
        self.name = _scheme_name(target, "jwtAuth")

    def get_security_definition(self, auto_schema: Any) -> Any:
        return _bearer()


class JWTCookieScheme(OpenApiAuthenticationExtension):
    """JWTCookieAuthentication: the bearer header or the access cookie, either one."""

    target_class = "simplejwt_rs.authentication.JWTCookieAuthentication"
    match_subclasses = True
    priority = 2
    name = ["jwtCookieBearer", "jwtCookie"]

    def __init__(self, target: Any) -> None:
        super().__init__(target)
        cookie = _scheme_name(target, "jwtCookie")
        self.name = [f"{cookie}Bearer", cookie]

    def get_security_requirement(self, auto_schema: Any) -> Any:
        return [{name: []} for name in self.name]  # either one (OR)

    def get_security_definition(self, auto_schema: Any) -> Any:
        cookie = {
            "type": "apiKey",
            "in": "cookie",
            "name": get("AUTH_COOKIE"),
            "description": "The HttpOnly access-token cookie set by CookieTokenObtainPairView; an unsafe method "
            "also needs the X-CSRFToken header (Django's CSRF token).",
        }
        return [_bearer(), cookie]


def _bearer() -> dict[str, Any]:
    return build_bearer_security_scheme_object(
        header_name=get("AUTH_HEADER_NAME"), token_prefix=auth_header_types()[0], bearer_format="JWT"
    )


# --- the token views' bodies ------------------------------------------------------------------------------------


# Each body is one serializer class per name and shape: drf-spectacular names its component after it, and warns
# when two classes claim one name.
_bodies: dict[tuple[str, tuple[str, ...]], Any] = {}


def _fields(name: str, **fields: Any) -> Any:
    key = (name, tuple(fields))
    if key not in _bodies:
        _bodies[key] = inline_serializer(name, fields=fields)
    return _bodies[key]


def _refusal(name: str, status: int) -> OpenApiResponse:
    codes = sorted(code for code, row in errors.CODES.items() if row.status == status)
    if status == 401:
        codes = sorted({*codes, "token_not_valid"})
    where = f"one of {', '.join(codes)}" if codes else "csrf_failed"
    rule = " (or the code a USER_AUTHENTICATION_RULE's Refuse names)" if status == 401 else ""
    body = _fields(
        name,
        detail=serializers.CharField(help_text="A human-readable message (translated)."),
        code=serializers.CharField(help_text=f"Machine-readable: {where}{rule}."),
    )
    return OpenApiResponse(body, description=f"Refused: {where}.")


def _credentials(name: str) -> Any:
    fields = {get_user_model().USERNAME_FIELD: serializers.CharField(), "password": serializers.CharField()}
    return _fields(name, **fields)


def _token(help_text: str) -> serializers.CharField:
    return serializers.CharField(help_text=help_text)


def _expiry(help_text: str, required: bool = True) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=help_text, required=required)


def _schemas() -> list[tuple[type, str, Any, dict[int, Any]]]:
    """(view class, summary, request body, responses): the most specific class first."""
    refusals = {401: _refusal("TokenRefusal", 401), 503: _refusal("TokenUnavailable", 503)}
    csrf = {403: _refusal("CsrfRefusal", 403)}
    rotating = bool(get("ROTATE_REFRESH_TOKENS"))
    expires = {
        "access_expires": _expiry("When the access cookie's token expires (seconds since the epoch)."),
        "refresh_expires": _expiry("When the refresh cookie's token expires (when one was set).", required=False),
    }
    pair = {"access": _token("An access token."), "refresh": _token("A refresh token.")}
    refreshed: dict[str, Any] = {"access": _token("A new access token.")}
    if rotating:
        refreshed["refresh"] = _token("The refresh token that replaces the one presented (single use).")
    refreshed_name = "TokenRefreshedRotated" if rotating else "TokenRefreshed"
    empty = OpenApiResponse(OpenApiTypes.OBJECT, description="An empty JSON object ({}).")
    return [
        (
            views.CookieTokenObtainPairView,
            "Log in: set the access and refresh cookies (HttpOnly); needs the CSRF token",
            _credentials("CookieLoginRequest"),
            {200: _fields("CookieTokenExpiry", **expires), **refusals, **csrf},
        ),
        (
            views.CookieTokenRefreshView,
            "Refresh from the refresh cookie; sets the new cookies; a refusal clears both",
            None,
            {200: _fields("CookieTokenExpiry", **expires), **refusals, **csrf},
        ),
        (
            views.CookieTokenBlacklistView,
            "Log out: consume the refresh cookie and clear both cookies",
            None,
            {200: empty, **refusals, **csrf},
        ),
        (
            upstream_views.TokenObtainPairView,
            "Obtain an access and a refresh token",
            _credentials("TokenObtainPairRequest"),
            {200: _fields("TokenPair", **pair), **refusals},
        ),
        (
            upstream_views.TokenRefreshView,
            "Refresh: a new access token" + (" and the refresh token's successor" if rotating else ""),
            _fields("TokenRefreshRequest", refresh=_token("A refresh token.")),
            {200: _fields(refreshed_name, **refreshed), **refusals},
        ),
        (
            upstream_views.TokenObtainSlidingView,
            "Obtain a sliding token",
            _credentials("TokenObtainSlidingRequest"),
            {200: _fields("SlidingToken", token=_token("A sliding token.")), **refusals},
        ),
        (
            upstream_views.TokenRefreshSlidingView,
            "Extend a sliding token",
            _fields("SlidingTokenRequest", token=_token("A sliding token.")),
            {200: _fields("SlidingToken", token=_token("A sliding token.")), **refusals},
        ),
        (
            upstream_views.TokenVerifyView,
            "Verify a token (signature, claims and, when it names one, the user policy)",
            _fields("TokenVerifyRequest", token=_token("Any token.")),
            {200: empty, **refusals},
        ),
        (
            upstream_views.TokenBlacklistView,
            "Log out: consume the refresh token",
            _fields("TokenBlacklistRequest", refresh=_token("A refresh token.")),
            {200: empty, **refusals},
        ),
    ]


class TokenViewSchema(OpenApiViewExtension):
    """Each token view (upstream's or ours, or a subclass) with its bodies and refusals."""

    target_class = "rest_framework_simplejwt.views.TokenViewBase"
    match_subclasses = True

    def view_replacement(self) -> Any:
        found = next((row for row in _schemas() if issubclass(self.target, row[0])), None)
        if found is None:
            return self.target  # a token view of the project's own: its own serializer describes it
        _view_class, summary, request, responses = found
        # Our own description: upstream's view docstrings differ between its releases.
        post = extend_schema(summary=summary, description=summary + ".", request=request, responses=responses)
        methods: dict[str, Any] = {"post": post}
        if issubclass(self.target, views.CookieTokenObtainPairView):
            methods["get"] = extend_schema(
                summary="Set the CSRF cookie (csrftoken), so that a browser app can post its login",
                description="Sets the CSRF cookie (csrftoken); send its value as X-CSRFToken with each POST.",
                responses={204: OpenApiResponse(description="The csrftoken cookie is set.")},
            )
        return extend_schema_view(**methods)(type(self.target.__name__, (self.target,), {}))
