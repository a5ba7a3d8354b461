"""The ASGI test project's application, counting the ``sync_to_async`` hops simplejwt_rs makes per request.

Each response carries ``X-Simplejwt-Rs-Hops``: the ``SyncToAsync`` objects made, while the request was served,
around a callable of ``simplejwt_rs`` (Django's own hops, its request signals, are not ours to count).  The
tests send one request at a time.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import SyncToAsync

from tests.asgi.project.asgi import application as django_application

ours: list[Any] = []
_original = SyncToAsync.__init__


def _counting(self: Any, func: Any, *args: Any, **kwargs: Any) -> None:
    if (getattr(func, "__module__", None) or "").startswith("simplejwt_rs"):
        ours.append(func)
    _original(self, func, *args, **kwargs)


SyncToAsync.__init__ = _counting  # type: ignore[method-assign]


async def application(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return await django_application(scope, receive, send)
    before = len(ours)

    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            hops = str(len(ours) - before).encode()
            message = {**message, "headers": [*message.get("headers", []), (b"x-simplejwt-rs-hops", hops)]}
        await send(message)

    await django_application(scope, receive, sending)
