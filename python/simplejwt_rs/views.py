"""Upstream's token views, with the serializer looked up when the request comes in.

Upstream reads ``TOKEN_*_SERIALIZER`` once at import; these read it per
request, and an upstream serializer named there is swapped for ours.  With
``simplejwt_rs`` installed, upstream's own views do the same (see
:func:`route_upstream_views`), so a project that keeps upstream's URLs and
forgets a serializer line still gets every guarantee.
"""

from __future__ import annotations

from typing import Any

from django.middleware.csrf import rotate_token
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as upstream
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import cookies, errors, events, policy, registry, sessions, store
from .authentication import auth_header_types
from .backends import token_backend
from .settings import get, get_ours

# Each upstream view and the setting that names its serializer (registry.VIEWS).
SERIALIZER_SETTING: dict[Any, str] = {registry.resolve(view.upstream): view.setting for view in registry.VIEWS}


class JSONParser(parsers.JSONParser):
    """DRF's, but a body nested too deep for Python's ``json`` is a 400 like any malformed body, not a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply") from exc


def _safe_parsers(classes: Any) -> list[Any]:
    return [JSONParser if cls is parsers.JSONParser else cls for cls in classes]


def _dispatch(self: APIView, request: Any, *args: Any, **kwargs: Any) -> Any:
    """APIView's dispatch, with the request known to the security events decided inside it (events.in_request)."""
    with events.in_request(request):
        return APIView.dispatch(self, request, *args, **kwargs)


def _serializer_from(setting: str) -> property:
    """A ``_serializer_class`` that reads ``setting`` per request, with upstream's classes swapped for ours."""
    return property(lambda view: get_ours(setting))


def route_upstream_views() -> None:
    """Make upstream's views read their serializer setting per request, through :func:`get_ours`.

    Upstream binds the setting's string at import, so a project routing
    ``rest_framework_simplejwt.views.TokenRefreshView`` with the setting left
    at its default would run upstream's serializer.  A view given a
    ``serializer_class`` of its own keeps it (``manage.py check`` reports it
    if it is not ours, simplejwt_rs.E013).
    """
    for view, setting in SERIALIZER_SETTING.items():
        view._serializer_class = _serializer_from(setting)
    # The token views take bodies from anyone, before authentication.
    upstream.TokenViewBase.parser_classes = _safe_parsers(upstream.TokenViewBase.parser_classes)
    upstream.TokenViewBase.dispatch = _dispatch


class TokenViewBase(upstream.TokenViewBase):
    parser_classes = _safe_parsers(upstream.TokenViewBase.parser_classes)
    dispatch = _dispatch

    @property
    def _serializer_class(self) -> Any:  # type: ignore[override]
        """The serializer setting of the upstream view this one is built on, read per request (upstream's
        classes swapped for ours); ``""`` (upstream's base's value) for a view built on none of them."""
        setting = next((SERIALIZER_SETTING[klass] for klass in type(self).__mro__ if klass in SERIALIZER_SETTING), None)
        return "" if setting is None else get_ours(setting)

    def get_authenticate_header(self, request: Any) -> str:
        return f'{auth_header_types()[0]} realm="{self.www_authenticate_realm}"'


# Ours of upstream's token views (registry.VIEWS names them), each with its serializer setting through its base.
class TokenObtainPairView(TokenViewBase, upstream.TokenObtainPairView):
    pass


class TokenRefreshView(TokenViewBase, upstream.TokenRefreshView):
    pass


class TokenObtainSlidingView(TokenViewBase, upstream.TokenObtainSlidingView):
    pass


class TokenRefreshSlidingView(TokenViewBase, upstream.TokenRefreshSlidingView):
    pass


class TokenVerifyView(TokenViewBase, upstream.TokenVerifyView):
    pass


class TokenBlacklistView(TokenViewBase, upstream.TokenBlacklistView):
    pass


# --- the cookie transport for browser apps (docs/browser-apps.md) ---------------------------------------------


class CookieViewBase(TokenViewBase):
    """A token view that takes and gives its tokens in HttpOnly cookies; every POST needs the CSRF token.

    A refusal (401) also clears both cookies.  The token logic is the serializer the setting names, called
    as any view calls it, so every guarantee of the JSON views holds here too.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            cookies.enforce_csrf(request)

    def validated(self, request: Request, data: Any) -> Any:
        serializer = self.get_serializer(data=data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return serializer.validated_data

    def refresh_cookie(self, request: Request) -> str:
        raw = cookies.read(request, cookies.REFRESH)
        if raw is None:
            raise InvalidToken(_("No %(cookie)s cookie was sent.") % {"cookie": repr(cookies.name(cookies.REFRESH))})
        return raw

    def with_tokens(self, tokens: Any) -> Response:
        """200, the cookies set (refresh: only when one was minted), when each expires in the body."""
        body: dict[str, Any] = {}
        response = Response(body, status=status.HTTP_200_OK)
        lifetimes = {cookies.ACCESS: get("ACCESS_TOKEN_LIFETIME"), cookies.REFRESH: get("REFRESH_TOKEN_LIFETIME")}
        for which in (cookies.ACCESS, cookies.REFRESH):
            token = tokens.get(which)
            if token:
                cookies.set_token(response, which, str(token), int(lifetimes[which].total_seconds()))
                body[f"{which}_expires"] = cookies.expiry(str(token))
        return response

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            cookies.clear(response)
        return response


class CookieTokenObtainPairView(CookieViewBase, upstream.TokenObtainPairView):
    """Login: POST the credentials (and the CSRF token); both token cookies are set, the body says when each
    expires.  GET sets the CSRF cookie (204), so that a single-page app can start."""

    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self.with_tokens(self.validated(request, request.data))
        rotate_token(request)  # a new CSRF token at login, as django.contrib.auth.login() does
        return response


class CookieTokenRefreshView(CookieViewBase, upstream.TokenRefreshView):
    """POST with an empty body: the refresh cookie is refreshed (single-use rotation, reuse detection, the
    user policy, as ``TokenRefreshView``) and the new tokens set as cookies."""

    reads_refresh_cookie = True

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.with_tokens(self.validated(request, {"refresh": self.refresh_cookie(request)}))


class CookieTokenBlacklistView(CookieViewBase, upstream.TokenBlacklistView):
    """Logout: the refresh cookie is consumed exactly as ``TokenBlacklistView`` consumes a token, and both
    cookies are cleared."""

    reads_refresh_cookie = True

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.validated(request, {"refresh": self.refresh_cookie(request)})
        response = Response({}, status=status.HTTP_200_OK)
        cookies.clear(response)
        return response


class RevokeUserTokensView(APIView):
    """ "Log out everywhere": POST revokes every refresh token and family of the authenticated user (204).

    Optional; route it where your project wants it. Access tokens already
    issued stay valid until they expire, except at verify and, with
    ``POLICY_CACHE``, at authentication.
    """

    permission_classes = (IsAuthenticated,)
    dispatch = _dispatch

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Behind JWTStatelessUserAuthentication request.user is a TokenUser: the store revokes the account
        # its token names (by primary key, whatever USER_ID_FIELD is), or there is none to log out.
        try:
            store.revoke_user_tokens(request.user, sender=type(self))  # under the store's database guard
        except policy.UserRefused as refused:
            raise errors.request_error(refused) from refused
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsView(APIView):
    """GET: the caller's sessions (``simplejwt_rs.sessions.list_sessions``), most recently used first:
    ``[{"family", "created", "last_used", "user_agent", "ip"}, ...]``."""

    permission_classes = (IsAuthenticated,)
    dispatch = _dispatch
    http_method_names = ["get", "head", "options"]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            with store.database_guard("SessionsView"):
                return Response(sessions.list_sessions(request.user))
        except policy.UserRefused as refused:
            raise errors.request_error(refused) from refused


class SessionView(APIView):
    """DELETE ``<family>``: end one of the caller's sessions (204). A family that is not a session of the
    caller's still in use (none, another user's, ended already) is a 404 ``session_not_found``."""

    permission_classes = (IsAuthenticated,)
    dispatch = _dispatch
    http_method_names = ["delete", "options"]

    def delete(self, request: Request, family: str = "", *args: Any, **kwargs: Any) -> Response:
        try:
            sessions.revoke_session(request.user, family, sender=type(self))
        except policy.UserRefused as refused:
            raise errors.request_error(refused) from refused
        return Response(status=status.HTTP_204_NO_CONTENT)


class JWKSView(APIView):
    """The public keys of ``SIMPLE_JWT["KEYS"]`` as a JWK set (RFC 7517), for other services to verify our tokens.

    Route it at e.g. ``/.well-known/jwks.json``. GET (and HEAD) only, no authentication, any caller:
    it publishes the public half of every asymmetric entry (``kty``, ``kid``, ``use: "sig"``, ``alg``
    and the key members), never a private member and never an HMAC key. ``Cache-Control: public,
    max-age=JWKS_MAX_AGE`` (default 300 s): add a key here at least that long before it signs.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head"]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = Response(token_backend().codec.jwks(), content_type="application/json")
        response["Cache-Control"] = f"public, max-age={get('JWKS_MAX_AGE')}"
        return response


token_obtain_pair = TokenObtainPairView.as_view()
token_refresh = TokenRefreshView.as_view()
token_obtain_sliding = TokenObtainSlidingView.as_view()
token_refresh_sliding = TokenRefreshSlidingView.as_view()
token_verify = TokenVerifyView.as_view()
token_blacklist = TokenBlacklistView.as_view()
revoke_user_tokens = RevokeUserTokensView.as_view()
jwks = JWKSView.as_view()
cookie_token_obtain_pair = CookieTokenObtainPairView.as_view()
cookie_token_refresh = CookieTokenRefreshView.as_view()
cookie_token_blacklist = CookieTokenBlacklistView.as_view()
sessions_list = SessionsView.as_view()
session = SessionView.as_view()
