"""Security events: one structured record per decision, on the logger ``simplejwt_rs.security``.

The names follow the OWASP Logging Vocabulary.  Each record's message is the event name followed by its
fields (``authn_token_reuse user_id=7 family=...``); the record also carries the name as its ``event``
attribute and every field as an attribute of its own (the ``extra`` of ``logging``), each a ``str``, an
``int`` or ``None``, so that python-json-logger's ``JsonFormatter`` and structlog's ``ExtraAdder`` render
them as JSON without any configuration.  Each event also sends the Django signal of the same name
(:mod:`simplejwt_rs.signals`) with the same fields and ``user`` (the instance, or None).

No record carries a token or a key: the fields are ids (user, family, jti), the client's address and its
user agent (truncated, control characters dropped, and anything shaped like a JWT replaced by ``[jwt]``).

The store and the serializers call one function of this module on each decision, in one line.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from django.core.signals import request_finished, request_started

from . import signals
from .settings import get

security_log = logging.getLogger("simplejwt_rs.security")

#: event name -> (log level, signal).  The docs' "Sessions and security events" page lists these.
EVENTS: dict[str, tuple[int, Any]] = {
    "authn_login_success": (logging.INFO, signals.authn_login_success),
    "authn_login_fail": (logging.WARNING, signals.authn_login_fail),
    "authn_token_created": (logging.INFO, signals.authn_token_created),
    "authn_token_reuse": (logging.CRITICAL, signals.authn_token_reuse),
    "authn_token_revoked": (logging.WARNING, signals.authn_token_revoked),
    "authz_fail": (logging.WARNING, signals.authz_fail),
}

#: The fields every record carries (None when unknown), in the message's order.
FIELDS = ("user_id", "family", "jti", "scope", "code", "count", "ip", "user_agent")

MAX_USER_AGENT = 255
# A compact JWS/JWE: its header is base64url JSON, so it starts with "eyJ".
_JWT = re.compile(r"eyJ[A-Za-z0-9_=-]*(?:\.[A-Za-z0-9_=-]*)+")

# The request being answered, for events decided where no request is at hand (the store): set by our views, and
# (for another package's views: dj-rest-auth's login) from Django's request_started signal, see connect().
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("simplejwt_rs_request", default=None)


class _Started:
    """What :func:`client_ip` and :func:`user_agent` read of a request, from Django's ``request_started``:
    a WSGI ``environ`` is the request's ``META``; an ASGI ``scope`` gives its headers and client as Django
    builds ``META`` from them."""

    def __init__(self, environ: Any = None, scope: Any = None) -> None:
        self.environ = environ
        self.scope = scope

    @cached_property
    def META(self) -> dict[str, Any]:  # noqa: N802  (Django's name)
        # Built only when an event needs it: request_started fires on every request.
        return self.environ if isinstance(self.environ, dict) else _scope_meta(self.scope)


def _scope_meta(scope: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if not isinstance(scope, dict):
        return meta
    client = scope.get("client")
    if isinstance(client, (list, tuple)) and client:
        meta["REMOTE_ADDR"] = str(client[0])
    for name, value in scope.get("headers") or ():
        if not isinstance(name, bytes) or not isinstance(value, bytes):
            continue
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        meta[key] = f"{meta[key]},{text}" if key in meta else text
    return meta


def _request_started(sender: Any, environ: Any = None, scope: Any = None, **kwargs: Any) -> None:
    _request.set(_Started(environ, scope))


def _request_finished(sender: Any, **kwargs: Any) -> None:
    _request.set(None)


def connect() -> None:
    """Know each request Django answers, so that a login minted by another package's view (dj-rest-auth's
    ``LoginView`` calls ``get_token``) records its client's address and user agent (run when ready)."""
    request_started.connect(_request_started, dispatch_uid="simplejwt_rs.events.request_started")
    request_finished.connect(_request_finished, dispatch_uid="simplejwt_rs.events.request_finished")


def current_request() -> Any:
    """The request being answered (ours: :func:`in_request`; any: Django's ``request_started``), or None."""
    return _request.get()


@contextmanager
def in_request(request: Any) -> Iterator[None]:
    """Events emitted while this runs take the client's address and user agent from ``request``."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def _meta(request: Any) -> dict[str, Any]:
    meta = getattr(request, "META", None)
    if meta is None:  # a DRF Request wraps Django's
        meta = getattr(getattr(request, "_request", None), "META", None)
    return meta if isinstance(meta, dict) else {}


def client_ip(request: Any) -> str | None:
    """The client's address as ``CLIENT_IP_META_KEY`` and ``CLIENT_IP_PROXIES`` say, or None if it is not one.

    A list (``X-Forwarded-For``: ``client, proxy1, proxy2``) is read from the right: each trusted proxy
    appends the address it received from, so the entry ``CLIENT_IP_PROXIES`` from the right is the one the
    outermost trusted proxy saw; what the client wrote to the left of it is ignored.
    """
    value = _meta(request).get(get("CLIENT_IP_META_KEY"))
    if not isinstance(value, str) or len(value) > 4096:
        return None
    entries = [entry.strip() for entry in value.split(",")]
    index = len(entries) - max(1, get("CLIENT_IP_PROXIES"))
    if index < 0:
        return None
    try:
        address = ipaddress.ip_address(entries[index])
    except ValueError:
        return None
    # An IPv6 zone ("fe80::1%eth0") names an interface of the client's host: PostgreSQL's inet refuses it.
    return None if getattr(address, "scope_id", None) else str(address)


def user_agent(request: Any) -> str:
    """The ``User-Agent`` as stored and logged: UTF-8 where the server decoded it as Latin-1, printable
    characters only, any JWT in it replaced by ``[jwt]``, at most :data:`MAX_USER_AGENT` characters."""
    value = _meta(request).get("HTTP_USER_AGENT")
    if not isinstance(value, str):
        return ""
    value = value[: MAX_USER_AGENT * 4]
    try:  # WSGI and ASGI servers hand headers over as Latin-1
        value = value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    value = "".join(char for char in value if char.isprintable())
    return _JWT.sub("[jwt]", value)[:MAX_USER_AGENT]


def _user_id(user: Any) -> str | int | None:
    pk = getattr(user, "pk", None)
    if pk is None or isinstance(pk, (int, str)):
        return pk
    return str(pk)


def _id(value: Any) -> str | None:
    """A jti or family as logged: a text id (a validly signed token may carry anything)."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value)
        return text if len(text) <= 255 and not _JWT.search(text) else None
    return None


def emit(
    event: str,
    *,
    user: Any = None,
    family: Any = None,
    jti: Any = None,
    scope: str | None = None,
    code: str | None = None,
    count: int | None = None,
    request: Any = None,
    sender: Any = None,
) -> dict[str, Any]:
    """Log ``event`` and send its signal; returns the record's fields (``event`` included)."""
    level, signal = EVENTS[event]
    request = _request.get() if request is None else request
    fields: dict[str, Any] = {
        "user_id": _user_id(user),
        "family": _id(family),
        "jti": _id(jti),
        "scope": scope,
        "code": code,
        "count": count,
        "ip": None if request is None else client_ip(request),
        "user_agent": None if request is None else user_agent(request),
    }
    summary = " ".join(f"{name}={fields[name]}" for name in FIELDS if fields[name] not in (None, ""))
    security_log.log(level, "%s %s", event, summary, extra={"event": event, **fields})
    signal.send(sender=sender, user=user, event=event, **fields)
    return {"event": event, **fields}


# --- one function per decision (each call site is one line) ------------------------------------------------


def login_success(user: Any, request: Any, family: Any = None, sender: Any = None) -> None:
    emit("authn_login_success", user=user, family=family, jti=family, request=request, sender=sender)


def login_fail(user: Any, request: Any, code: str, sender: Any = None) -> None:
    """Obtain refused; ``user`` is the account only when the credentials matched one the policy refused.

    The username tried is not logged: users type passwords into it.
    """
    emit("authn_login_fail", user=user, code=code, request=request, sender=sender)


def token_created(user: Any, claims: Any, request: Any = None, sender: Any = None) -> None:
    """A token was issued (obtain, refresh, sliding refresh): its jti and family, never the token.
    Without ``request``, the one our view is answering (:func:`in_request`)."""
    claims = claims if isinstance(claims, dict) else {}
    family_claim = get("TOKEN_FAMILY_CLAIM")
    jti = claims.get(get("JTI_CLAIM"))
    family = claims.get(family_claim) if family_claim else None
    emit("authn_token_created", user=user, jti=jti, family=family, request=request, sender=sender)


def token_reuse(user: Any, family: Any, jti: Any, sender: Any = None) -> None:
    emit("authn_token_reuse", user=user, family=family, jti=jti, code="token_reused", sender=sender)


def token_revoked(scope: str, user: Any = None, family: Any = None, jti: Any = None, **more: Any) -> None:
    """``scope``: ``family`` (a reuse revoked it), ``session`` (ended by its user, or beyond
    ``MAX_SESSIONS_PER_USER``), ``user`` (every token of a user), ``token`` (a logout)."""
    emit("authn_token_revoked", scope=scope, user=user, family=family, jti=jti, **more)


def refused(code: str, user: Any = None, claims: Any = None, sender: Any = None) -> None:
    """The user policy refused a token's user with our ``code`` (the body's ``code``)."""
    claims = claims if isinstance(claims, dict) else {}
    family_claim = get("TOKEN_FAMILY_CLAIM")
    family = claims.get(family_claim) if family_claim else None
    emit("authz_fail", user=user, code=code, jti=claims.get(get("JTI_CLAIM")), family=family, sender=sender)


def refusal(exc: Any, user: Any = None, claims: Any = None, sender: Any = None) -> Any:
    """Log a refusal of the user policy (``exc``, a refusal carrying our code) and return ``exc`` to raise."""
    refused(str(exc.get_codes()), user, claims, sender)
    return exc


def login_failure(exc: Any, user: Any, context: Any, sender: Any = None) -> Any:
    """Log obtain's refusal (``exc`` carries the code) and return ``exc`` to raise."""
    login_fail(user, (context or {}).get("request"), str(exc.get_codes()), sender)
    return exc
