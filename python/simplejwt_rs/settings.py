"""One place to read ``SIMPLE_JWT``: upstream's settings plus our additions.

Upstream modules bind ``api_settings`` at import time, so after
``override_settings(SIMPLE_JWT=...)`` they keep reading the old object.  Every
module here reads through :func:`get` instead, which always sees the current
value, and the :func:`on_change` hooks drop whatever was built from the old one
(the codec, the JWK cache).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from rest_framework_simplejwt import settings as upstream

# Settings that only exist here (or only in newer simplejwt releases, so that
# 5.3.1 behaves like 5.4+).  Documented in the README.
DEFAULTS: dict[str, Any] = {
    # simplejwt 5.4 added this; on 5.3.1 we read it from SIMPLE_JWT ourselves.
    "CHECK_USER_IS_ACTIVE": True,
    # Ours: TokenVerifyView also applies the user policy when the token names a user.
    "VERIFY_CHECKS_USER": True,
    # Ours: how long a fetched JWK set is trusted, and how often an unknown kid may trigger a refetch.
    "JWK_CACHE_SECONDS": 300,
    "JWK_REFETCH_INTERVAL": 30,
    # Ours: tokens longer than this are refused before parsing (None = the core's default).
    "MAX_TOKEN_BYTES": None,
    # Ours: single-use rotation and reuse detection (need "simplejwt_rs" in INSTALLED_APPS, see rotation.py).
    # The claim that carries a token family id from obtain across every rotation (None: no families).
    "TOKEN_FAMILY_CLAIM": "token_family",
    # Revoke the family when an already-rotated refresh token comes back (None: on whenever
    # ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION are).
    "REFRESH_TOKEN_REUSE_DETECTION": None,
    # A retry of the immediately previous refresh token within this many seconds is refused without
    # revoking the family (for clients that lost the response).
    "REFRESH_TOKEN_REUSE_GRACE_SECONDS": 0,
}

BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"

# Where upstream releases differ in what they put in a token, we follow the installed one.
UPSTREAM_VERSION = tuple(int(part) for part in version("djangorestframework-simplejwt").split(".")[:2])

_hooks: list[Callable[[], None]] = []


def get(name: str) -> Any:
    """The current value of a ``SIMPLE_JWT`` setting, upstream's or ours."""
    api = upstream.api_settings
    if name in api.defaults:
        return getattr(api, name)
    user = getattr(django_settings, "SIMPLE_JWT", None) or {}
    return user.get(name, DEFAULTS[name])


def get_ours(name: str) -> Any:
    """Like :func:`get`, but an upstream class or function named in the setting is swapped for ours.

    A project that forgot to change one ``rest_framework_simplejwt.tokens.AccessToken``
    string still gets the Rust path and the user policy instead of a silent mix.
    """
    value = get(name)
    if isinstance(value, (list, tuple)):
        return type(value)(_ours(item) for item in value)
    return _ours(value)


MIRRORED = {
    f"rest_framework_simplejwt.{name}": f"simplejwt_rs.{name}" for name in ("tokens", "serializers", "authentication")
}


def _ours(obj: Any) -> Any:
    path = obj if isinstance(obj, str) else f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
    module, _, attr = path.rpartition(".")
    if module not in MIRRORED:
        return obj
    ours = getattr(importlib.import_module(MIRRORED[module]), attr, None)
    if ours is None:
        return obj
    return f"{MIRRORED[module]}.{attr}" if isinstance(obj, str) else ours


def blacklist_installed() -> bool:
    return BLACKLIST_APP in django_settings.INSTALLED_APPS


def rotation_store_installed() -> bool:
    """Whether our own app (its models: rotation records, revoked families) is installed."""
    return "simplejwt_rs" in django_settings.INSTALLED_APPS or any(
        app.startswith("simplejwt_rs.apps.") for app in django_settings.INSTALLED_APPS
    )


def now() -> float:
    """The one clock every token path uses (tests replace it)."""
    return time.time()


def on_change(hook: Callable[[], None]) -> Callable[[], None]:
    """Register ``hook`` to run whenever ``SIMPLE_JWT`` or ``INSTALLED_APPS`` changes."""
    _hooks.append(hook)
    return hook


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SIMPLE_JWT":
        # Rebuild upstream's object too, in case our receiver runs before upstream's.
        upstream.api_settings = upstream.APISettings(kwargs["value"], upstream.DEFAULTS, upstream.IMPORT_STRINGS)
    if setting in ("SIMPLE_JWT", "INSTALLED_APPS"):
        for hook in _hooks:
            hook()


setting_changed.connect(_setting_changed)
