"""What the dj-rest-auth tests share: the cookie names, the endpoints and the error codes."""

from __future__ import annotations

from tests.clients.settings import ACCESS_COOKIE, REFRESH_COOKIE

PASSWORD = "correct horse battery staple"
LOGIN = "/auth/login/"
USER = "/auth/user/"
REFRESH = "/auth/token/refresh/"
VERIFY = "/auth/token/verify/"
LOGOUT = "/auth/logout/"

__all__ = ["ACCESS_COOKIE", "LOGIN", "LOGOUT", "PASSWORD", "REFRESH", "REFRESH_COOKIE", "USER", "VERIFY", "code"]


def code(data: dict) -> str:
    """The DRF error code of a JSON error body (``{"detail": ..., "code": ...}``)."""
    return str(data.get("code") or getattr(data.get("detail"), "code", ""))
