"""Sessions a user can see and end: one per token family (single-use rotation, see :mod:`simplejwt_rs.store`).

A login records its family (the refresh token's jti) with the user agent and the client's address
(:func:`simplejwt_rs.events.client_ip`).  A refresh writes nothing more: ``last_used`` is the family's
latest rotation (each rotation record's ``issued_at``), and the session lasts until its newest refresh
token expires (the records' ``expires_at``), so the refresh path keeps its statement budget.  A session
is listed while its family is neither revoked nor logged out and its newest refresh token has not expired.
Ending one revokes its family through the store, so every server's policy cache learns of it
(``store.on_revocation``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, Exists, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

from . import events, policy, store
from . import settings as jwt_settings
from .models import RevokedTokenFamily, RotatedRefreshToken, TokenSession
from .settings import get


class SessionNotFound(NotFound):
    """No session of the caller's has this family (none at all, another user's, or ended already): 404."""

    default_detail = _("No such session.")
    default_code = "session_not_found"

    def __init__(self) -> None:
        super().__init__({"detail": self.default_detail, "code": self.default_code}, self.default_code)

    def get_codes(self) -> Any:
        return self.default_code


@dataclass(frozen=True)
class Session:
    family: str
    created: datetime
    last_used: datetime
    user_agent: str
    ip: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "created": self.created,
            "last_used": self.last_used,
            "user_agent": self.user_agent,
            "ip": self.ip,
        }


def recording() -> bool:
    """Sessions are recorded while refresh tokens are single-use (each family is then known)."""
    return store.rotation_active()


def _latest(column: str) -> Subquery:
    """The latest ``column`` of the session's rotation records (None before its first refresh)."""
    records = RotatedRefreshToken.objects.filter(family=OuterRef("family")).order_by().values("family")
    return Subquery(records.annotate(latest=Max(column)).values("latest")[:1], output_field=DateTimeField())


def with_use(sessions: QuerySet[TokenSession]) -> QuerySet[TokenSession]:
    """``sessions`` with ``last_used`` and ``ends`` (when its newest refresh token expires) read from the
    family's rotation records (the admin shows them too)."""
    return sessions.annotate(
        last_used=Coalesce(_latest("issued_at"), "created"),
        ends=Coalesce(Greatest(_latest("expires_at"), "expires_at"), "expires_at"),
    )


def _active(user: Any, now: float) -> QuerySet[TokenSession]:
    """The user's sessions in use, each with ``last_used`` and ``ends``."""
    ended = Exists(RevokedTokenFamily.objects.filter(family=OuterRef("family"))) | Exists(
        RotatedRefreshToken.objects.filter(family=OuterRef("family"), logged_out=True)
    )
    mine = TokenSession.objects.filter(user_id=policy.account_key(user))
    return with_use(mine).filter(ends__gt=store._dt(now)).exclude(ended)


def record_login(user: Any, token: Any, request: Any) -> str | None:
    """Record the session a login started (``token``: its refresh token); returns its family, or None when
    sessions are not recorded (not single-use rotation, or a sliding token).  Beyond
    ``MAX_SESSIONS_PER_USER`` the least recently used sessions are ended."""
    payload = getattr(token, "payload", None)
    if not recording() or payload is None or payload.get(get("TOKEN_TYPE_CLAIM")) != "refresh":
        return None
    family = store.identify(payload)[1]
    now = jwt_settings.now()
    TokenSession.objects.create(
        family=family,
        user_id=policy.account_key(user),
        created=store._dt(now),
        expires_at=store._dt(payload["exp"]),
        user_agent=events.user_agent(request),
        ip=events.client_ip(request),
    )
    cap = get("MAX_SESSIONS_PER_USER")
    if cap is not None:
        # Least recently used first; the new session is the most recent, so it stays.
        over = list(_active(user, now).order_by("-last_used", "-created").values_list("family", flat=True)[cap:])
        for old in over:
            store.revoke_family(old, now)
            events.token_revoked("session", user, old, code="max_sessions", request=request)
    return family


# Set while an obtain serializer of ours (or upstream's, routed to ours) mints its token: the serializer records
# the login itself, with its own request, once the token is minted (get_token then does not).
_obtaining: contextvars.ContextVar[bool] = contextvars.ContextVar("simplejwt_rs_obtaining", default=False)
_LOGGED = "_simplejwt_rs_logged_in"


@contextmanager
def obtaining() -> Iterator[None]:
    """While this runs, ``get_token`` leaves the login to the obtain serializer that called it."""
    token = _obtaining.set(True)
    try:
        yield
    finally:
        _obtaining.reset(token)


def minted_for_login(user: Any, token: Any, sender: Any = None) -> None:
    """``get_token(user)`` called by code other than an obtain serializer's validate (dj-rest-auth's login,
    a project's own view): the login, with the request being answered (``events.current_request``)."""
    if not _obtaining.get():
        logged_in(user, token, events.current_request(), sender)


def logged_in(user: Any, token: Any, request: Any, sender: Any = None) -> None:
    """The one record of a login, whichever code minted its token: the session (:func:`record_login`),
    ``authn_login_success`` and ``authn_token_created``; once per token however many paths report it."""
    if getattr(token, _LOGGED, False):
        return
    try:
        setattr(token, _LOGGED, True)
    except AttributeError:  # a token class with __slots__: recorded each time reported (not one of ours)
        pass
    events.login_success(user, request, record_login(user, token, request), sender)
    events.token_created(user, getattr(token, "payload", None), request, sender)


def list_sessions(user: Any) -> list[dict[str, Any]]:
    """The user's sessions still in use, most recently used first: ``family``, ``created``, ``last_used``,
    ``user_agent``, ``ip`` (None when unknown)."""
    user = policy.account(user)
    rows = _active(user, jwt_settings.now()).order_by("-last_used", "-created")
    return [Session(r.family, r.created, r.last_used, r.user_agent, r.ip).as_dict() for r in rows]


def revoke_session(user: Any, family: Any, sender: Any = None) -> None:
    """End one of ``user``'s sessions: its family is revoked (every refresh token of it; its access tokens
    at verify, and at authentication with ``POLICY_CACHE``).  :class:`SessionNotFound` when ``family``
    is not a session of the user's still in use (another user's is not told apart from none)."""
    user = policy.account(user)
    now = jwt_settings.now()
    if not isinstance(family, str) or not 0 < len(family) <= store.MAX_ID_LENGTH:
        raise SessionNotFound()
    if not _active(user, now).filter(family=family).exists():
        raise SessionNotFound()
    with store.database_guard("revoke_session"):
        store.revoke_family(family, now)
    events.token_revoked("session", user, family, sender=sender)
