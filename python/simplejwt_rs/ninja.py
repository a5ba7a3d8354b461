"""django-ninja: authentication classes and the token endpoints, with every guarantee of the DRF ones.

    from ninja import NinjaAPI
    from simplejwt_rs.ninja import AsyncJWTAuth, handle_refusals, token_router

    api = NinjaAPI(auth=AsyncJWTAuth())
    handle_refusals(api)                      # refusals answer {"detail", "code"}, as the DRF classes do
    api.add_router("/token", token_router)    # POST /token/pair, /refresh, /verify, /blacklist

The classes run :class:`~simplejwt_rs.authentication.JWTAuthentication` (or its stateless twin): the same
header rules, the whole user policy, the same refusals.  The router runs the serializers the ``SIMPLE_JWT``
settings name (ours in place of upstream's), so obtain, refresh with single-use rotation and reuse detection,
verify and logout are the DRF views' own logic.  Needs the ``ninja`` extra (django-ninja); import it where a
NinjaAPI is built (``urls.py``, ``api.py``), once Django is set up.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.module_loading import import_string
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import create_model
from rest_framework.exceptions import APIException, ErrorDetail
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import SlidingToken

from .authentication import JWTAuthentication, JWTStatelessUserAuthentication, auth_header_types
from .settings import get_ours

__all__ = [
    "AsyncJWTAuth",
    "AsyncJWTTokenUserAuth",
    "JWTAuth",
    "JWTTokenUserAuth",
    "Refused",
    "handle_refusals",
    "token_router",
]


def _plain(value: Any) -> Any:
    """A DRF error detail as plain JSON values (``ErrorDetail`` is a str that also carries a code)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, str) else value


def body_of(exc: APIException) -> dict[str, Any]:
    """The JSON body DRF answers for ``exc``: its detail dict, or ``{"detail", "code"}``."""
    detail = exc.detail
    if isinstance(detail, dict):
        return _plain(detail)
    if isinstance(detail, list):
        return {"detail": _plain(detail), "code": exc.default_code}
    code = detail.code if isinstance(detail, ErrorDetail) and detail.code else exc.default_code
    return {"detail": str(detail), "code": code}


def _headers(exc: APIException) -> dict[str, str]:
    headers = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = f'{auth_header_types()[0]} realm="api"'
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(int(wait))
    return headers


class Refused(HttpError):
    """A refusal raised by the authentication classes; :func:`handle_refusals` answers it with ``body``.

    An ``HttpError``: an API without the handler still answers its status with ``{"detail"}`` (never a 500).
    """

    def __init__(self, exc: APIException) -> None:
        self.body = body_of(exc)
        self.headers = _headers(exc)
        super().__init__(exc.status_code, str(self.body.get("detail", "")))


def _refusal_response(request: HttpRequest, exc: Refused, api: Any) -> HttpResponse:
    response = api.create_response(request, exc.body, status=exc.status_code)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def handle_refusals(api: Any) -> Any:
    """Make ``api`` (a ``NinjaAPI``) answer our refusals with their JSON body (``detail``, ``code``) and headers."""
    api.add_exception_handler(Refused, partial(_refusal_response, api=api))
    return api


class JWTAuth(HttpBearer):
    """A ninja ``HttpBearer`` running :class:`~simplejwt_rs.authentication.JWTAuthentication`: ``request.auth``
    is the user row, the token is ``request.jwt_token``.  ``AUTH_HEADER_NAME`` and ``AUTH_HEADER_TYPES`` apply."""

    authentication_class: type[JWTAuthentication] = JWTAuthentication

    def __init__(self) -> None:
        super().__init__()
        self.backend = self.authentication_class()

    def __call__(self, request: HttpRequest) -> Any:
        try:
            found = self.backend.authenticate(request)
        except APIException as exc:
            raise Refused(exc) from exc
        return self._accept(request, found)

    @staticmethod
    def _accept(request: HttpRequest, found: tuple[Any, Any] | None) -> Any:
        if found is None:
            return None  # no JWT here: the next auth of the operation, or ninja's 401
        user, token = found
        request.jwt_token = token
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """``HttpBearer``'s hook, for a caller holding the token alone (``__call__`` reads the header itself)."""
        try:
            validated = self.backend.get_validated_token(token.encode())
            return self.backend.get_user(validated)
        except APIException as exc:
            raise Refused(exc) from exc


class AsyncJWTAuth(JWTAuth):
    """:class:`JWTAuth` for async operations: the token decoded in the event loop, the user row read in one
    hop (none when ``POLICY_NEAR_CACHE_USERS`` keeps it near and the near cache is warm).  On a sync operation
    ninja runs it through ``async_to_sync``; :class:`JWTAuth` is the better fit there."""

    async def __call__(self, request: HttpRequest) -> Any:
        try:
            found = await self.backend.aauthenticate(request)
        except APIException as exc:
            raise Refused(exc) from exc
        return self._accept(request, found)

    async def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            validated = self.backend.get_validated_token(token.encode())
            return await self.backend.aget_user(validated)
        except APIException as exc:
            raise Refused(exc) from exc


class JWTTokenUserAuth(JWTAuth):
    """No user row: ``request.auth`` is a ``TokenUser`` (:class:`JWTStatelessUserAuthentication`); with
    ``POLICY_CACHE`` the whole user policy still applies, answered by the cache."""

    authentication_class = JWTStatelessUserAuthentication


class AsyncJWTTokenUserAuth(AsyncJWTAuth):
    """:class:`JWTTokenUserAuth` for async operations: with ``POLICY_CACHE`` warm (or without one) it never
    leaves the event loop: no ``sync_to_async`` hop."""

    authentication_class = JWTStatelessUserAuthentication


# --- the token endpoints ----------------------------------------------------------------------------------


class Error(Schema):
    detail: Any
    code: str | None = None


class RefreshIn(Schema):
    refresh: str


class TokenIn(Schema):
    token: str


class Pair(Schema):
    access: str
    refresh: str


class Refreshed(Schema):
    access: str
    refresh: str | None = None  # with ROTATE_REFRESH_TOKENS


class Empty(Schema):
    pass


def _credentials_schema() -> Any:
    """The obtain body: the user model's ``USERNAME_FIELD`` and ``password`` (as the obtain serializer)."""
    fields: Any = {get_user_model().USERNAME_FIELD: (str, ...), "password": (str, ...)}
    return create_model("TokenObtainIn", __base__=Schema, **fields)


def _read_body(request: HttpRequest) -> Any:
    """The request body as the DRF token views parse it: JSON, or a form."""
    if request.content_type == "application/json" or not request.content_type:
        try:
            return json.loads(request.body or b"{}")
        except (ValueError, RecursionError) as exc:
            raise _ParseError(f"JSON parse error - {type(exc).__name__}") from exc
    try:
        return request.POST.dict()
    except MultiPartParserError as exc:
        raise _ParseError(f"Multipart form parse error - {exc}") from exc


class _ParseError(APIException):
    status_code = 400
    default_code = "parse_error"


def _class(value: Any) -> Any:
    return import_string(value) if isinstance(value, str) else value


def _run(request: HttpRequest, setting: str) -> HttpResponse:
    """The serializer ``setting`` names (ours for upstream's), as upstream's ``TokenViewBase.post`` runs it."""
    try:
        data = _read_body(request)
        if not isinstance(data, dict):
            raise _ParseError("Expected a JSON object.")
        serializer = _class(get_ours(setting))(data=data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
    except APIException as exc:
        response = JsonResponse(body_of(exc), status=exc.status_code)
        for name, value in _headers(exc).items():
            response[name] = value
        return response
    return JsonResponse(_plain(dict(serializer.validated_data)), status=200)


def _body_doc(schema: Any) -> dict[str, Any]:
    """An operation's request body for the OpenAPI schema (the body itself is parsed as the DRF views do)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema.model_json_schema()}}}}


_ERRORS = {400: Error, 401: Error, 503: Error}


def _endpoint(router: Router, path: str, setting: str, body: Any, out: Any, summary: str) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return _run(request, setting)

    view.__name__ = "token_" + path.strip("/").replace("/", "_")
    router.post(path, response={200: out, **_ERRORS}, openapi_extra=_body_doc(body), summary=summary, auth=None)(view)


def sliding_configured() -> bool:
    """Whether ``AUTH_TOKEN_CLASSES`` accepts sliding tokens (the router then has the sliding endpoints)."""
    return any(issubclass(_class(cls), SlidingToken) for cls in get_ours("AUTH_TOKEN_CLASSES"))


def build_router(*, sliding: bool | None = None) -> Router:
    """A ``Router`` with the token endpoints (``token_router`` is one, built at import)."""
    router = Router(tags=["token"])
    credentials = _credentials_schema()
    endpoints: list[tuple[str, str, Any, Any, str]] = [
        ("/pair", "TOKEN_OBTAIN_SERIALIZER", credentials, Pair, "Obtain an access and a refresh token"),
        ("/refresh", "TOKEN_REFRESH_SERIALIZER", RefreshIn, Refreshed, "Refresh (single-use with rotation)"),
        ("/verify", "TOKEN_VERIFY_SERIALIZER", TokenIn, Empty, "Verify a token"),
        ("/blacklist", "TOKEN_BLACKLIST_SERIALIZER", RefreshIn, Empty, "Log out: blacklist a refresh token"),
    ]
    if sliding_configured() if sliding is None else sliding:
        endpoints += [
            ("/sliding", "SLIDING_TOKEN_OBTAIN_SERIALIZER", credentials, TokenIn, "Obtain a sliding token"),
            ("/sliding/refresh", "SLIDING_TOKEN_REFRESH_SERIALIZER", TokenIn, TokenIn, "Refresh a sliding token"),
        ]
    for path, setting, body, out, summary in endpoints:
        _endpoint(router, path, setting, body, out, summary)
    return router


token_router = build_router()
