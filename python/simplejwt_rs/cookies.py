"""The cookie transport for browser apps: reading, setting and clearing the token cookies, and the CSRF check.

Used by :class:`simplejwt_rs.authentication.JWTCookieAuthentication` and the
``Cookie*`` views (see docs/browser-apps.md).  Both cookies are always
``HttpOnly``; their names, ``Secure``, ``SameSite``, ``Domain`` and paths come
from the ``AUTH_COOKIE*`` settings.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, get_script_prefix, get_urlconf
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework_simplejwt.exceptions import InvalidToken

from .settings import get

ACCESS = "access"
REFRESH = "refresh"


def name(which: str) -> str:
    return str(get("AUTH_COOKIE" if which == ACCESS else "AUTH_REFRESH_COOKIE"))


def read(request: Any, which: str) -> str | None:
    """The token in the ``which`` cookie (``None``: no cookie, or an empty one).

    Two cookies of that name (one planted by a sibling subdomain, say) are refused, 401: which one the
    browser meant cannot be told.
    """
    cookie = name(which)
    header = request.META.get("HTTP_COOKIE", "")
    if header.count(cookie) > 1:  # cheap test first: the exact count below only when the name recurs
        names = [chunk.split("=", 1)[0].strip() for chunk in header.split(";") if "=" in chunk]
        if names.count(cookie) > 1:
            raise InvalidToken(_("More than one %(cookie)s cookie was sent.") % {"cookie": repr(cookie)})
    value = request.COOKIES.get(cookie)
    return value or None


def enforce_csrf(request: Any) -> None:
    """Django's CSRF check as DRF's ``SessionAuthentication`` runs it: 403 ``csrf_failed`` when it fails."""

    def no_response(request: Any) -> None:  # pragma: no cover  (CsrfViewMiddleware's get_response, never called)
        return None

    check = CSRFCheck(no_response)
    check.process_request(request)  # reads the CSRF cookie into request.META
    reason = check.process_view(request, None, (), {})
    if reason:
        raise PermissionDenied({"detail": _("CSRF Failed: %(reason)s") % {"reason": reason}, "code": "csrf_failed"})


# --- where the refresh cookie goes ----------------------------------------------------------------------

# Route characters after which a route is no longer a literal path (path converters, regular expressions).
_NOT_LITERAL = re.compile(r"[<(\[.*+?$\\|{]")
_refresh_paths: list[tuple[Any, str | None]] = []


def _literal(route: str) -> str:
    route = route.removeprefix("^")
    return route[: m.start()] if (m := _NOT_LITERAL.search(route)) else route


def _walk(patterns: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.extend(_walk(pattern.url_patterns, prefix + _literal(str(pattern.pattern))))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + _literal(str(pattern.pattern)), pattern.callback))
    return found


def refresh_routes_prefix() -> str | None:
    """The longest path prefix (ending in ``/``) of every route to a view that reads the refresh cookie.

    Such views say so with ``reads_refresh_cookie = True`` (``CookieTokenRefreshView`` and
    ``CookieTokenBlacklistView``).  ``None`` when none is routed.  Walked once per URLconf.
    """
    resolver = get_resolver(get_urlconf())
    if _refresh_paths and _refresh_paths[0][0] is resolver:
        return _refresh_paths[0][1]
    routes = []
    for route, callback in _walk(resolver.url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if getattr(view_class, "reads_refresh_cookie", False):
            routes.append(route)
    prefix = None
    if routes:
        common = routes[0]
        for route in routes[1:]:
            while not route.startswith(common):
                common = common[:-1]
        prefix = common[: common.rfind("/") + 1]
    _refresh_paths[:] = [(resolver, prefix)]
    return prefix


def refresh_path() -> str:
    """``AUTH_REFRESH_COOKIE_PATH``, or by default the refresh and logout routes' shared prefix."""
    configured = get("AUTH_REFRESH_COOKIE_PATH")
    if configured is not None:
        return str(configured)
    prefix = refresh_routes_prefix()
    if prefix is None:
        return str(get("AUTH_COOKIE_PATH"))
    return get_script_prefix() + prefix


def _attributes(which: str) -> dict[str, Any]:
    return {
        "path": get("AUTH_COOKIE_PATH") if which == ACCESS else refresh_path(),
        "domain": get("AUTH_COOKIE_DOMAIN"),
        "secure": get("AUTH_COOKIE_SECURE"),
        "httponly": True,
        "samesite": get("AUTH_COOKIE_SAMESITE"),
    }


def set_token(response: Any, which: str, token: str, max_age: int) -> None:
    response.set_cookie(name(which), token, max_age=max_age, **_attributes(which))


def clear(response: Any) -> None:
    """Expire both cookies, with the attributes they were set with (a browser keeps a cookie a mismatch misses)."""
    for which in (ACCESS, REFRESH):
        response.set_cookie(name(which), "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", **_attributes(which))


def expiry(token: str) -> int | None:
    """The ``exp`` claim of a token this server just minted (read without verifying: it is ours)."""
    try:
        segment = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, binascii.Error, AttributeError):
        return None
    return exp if isinstance(exp, int) else None
