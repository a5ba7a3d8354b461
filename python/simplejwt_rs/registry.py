"""The one registry of upstream's classes and ours: which class of ``rest_framework_simplejwt`` maps to which of ours.

Everything that needs the mapping reads it here: the settings swap (``settings.counterpart`` /
``get_ours``: an upstream class named in a setting becomes ours), the views (which setting names each
view's serializer, which views mint), the opt-in patch (``upstream_patch``: the methods of upstream's
classes that ``PATCH_UPSTREAM_CLASSES`` replaces), the system checks (which read the patch's list and the
views' settings from here) and the test harness (the migration's settings lines).

Classes are named by dotted path and imported only when :func:`resolve` is called, so this module sits at
the bottom of the import order: it imports nothing of ours, nor Django (``harness/`` reads it while Django
settings are still being loaded).
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

UPSTREAM = "rest_framework_simplejwt"
OURS = "simplejwt_rs"
# Upstream's modules whose classes have ours of the same name in the module of the same name here.
MIRRORED = ("tokens", "serializers", "authentication")
_MIRRORED_MODULES = frozenset(f"{UPSTREAM}.{name}" for name in MIRRORED)


class Pair(NamedTuple):
    """One of upstream's classes (or functions) and ours of the same name."""

    upstream: str
    ours: str
    # The attributes of upstream's class's own body that PATCH_UPSTREAM_CLASSES replaces so that they take ours.
    routed: tuple[str, ...] = ()


class View(NamedTuple):
    """One of upstream's token views, ours of the same name, and the setting that names its serializer."""

    upstream: str
    ours: str
    setting: str
    serializer: str  # ours the setting names once migrated (upstream's default, swapped)
    base: str  # what a class named in the setting must be built on to get the user policy and rotation
    mints: bool  # it signs new tokens (obtain, refresh)


def _pair(module: str, name: str, routed: tuple[str, ...] = ()) -> Pair:
    return Pair(f"{UPSTREAM}.{module}.{name}", f"{OURS}.{module}.{name}", routed)


_AUTHENTICATION_METHODS = ("get_header", "get_raw_token", "get_validated_token", "get_user", "authenticate_header")

PAIRS: tuple[Pair, ...] = (
    # Tokens: with the opt-in, constructing one of upstream's builds ours (Token.__new__), for_user mints ours,
    # and BlacklistMixin.blacklist (dj-rest-auth's logout) logs out through the store.
    _pair("tokens", "Token", ("__new__",)),
    _pair("tokens", "BlacklistMixin", ("blacklist",)),
    _pair("tokens", "AccessToken", ("for_user",)),
    _pair("tokens", "RefreshToken", ("for_user",)),
    _pair("tokens", "SlidingToken", ("for_user",)),
    _pair("tokens", "UntypedToken", ("for_user",)),
    # Serializers: validate (and obtain's get_token) run ours.
    _pair("serializers", "TokenObtainSerializer", ("validate", "get_token")),
    _pair("serializers", "TokenObtainPairSerializer", ("validate",)),
    _pair("serializers", "TokenObtainSlidingSerializer", ("validate",)),
    _pair("serializers", "TokenRefreshSerializer", ("validate",)),
    _pair("serializers", "TokenRefreshSlidingSerializer", ("validate",)),
    _pair("serializers", "TokenVerifySerializer", ("validate",)),
    _pair("serializers", "TokenBlacklistSerializer", ("validate",)),
    # Authentication: upstream's stateless class has a get_user of its own (no policy at all); ours applies it.
    _pair("authentication", "JWTAuthentication", _AUTHENTICATION_METHODS),
    _pair("authentication", "JWTStatelessUserAuthentication", ("get_user",)),
    _pair("authentication", "JWTTokenUserAuthentication"),  # upstream's alias of the stateless class
    _pair("authentication", "default_user_authentication_rule"),
)

_S = f"{OURS}.serializers."
# In the order of the migration's settings lines (harness/jwt_settings.py).
VIEWS: tuple[View, ...] = tuple(
    View(f"{UPSTREAM}.views.{name}", f"{OURS}.views.{name}", setting, _S + serializer, _S + base, mints)
    for name, setting, serializer, base, mints in (
        ("TokenObtainPairView", "TOKEN_OBTAIN_SERIALIZER", "TokenObtainPairSerializer", "TokenObtainSerializer", True),
        ("TokenRefreshView", "TOKEN_REFRESH_SERIALIZER", "TokenRefreshSerializer", "TokenRefreshSerializer", True),
        ("TokenVerifyView", "TOKEN_VERIFY_SERIALIZER", "TokenVerifySerializer", "TokenVerifySerializer", False),
        (
            "TokenBlacklistView",
            "TOKEN_BLACKLIST_SERIALIZER",
            "TokenBlacklistSerializer",
            "TokenBlacklistSerializer",
            False,
        ),
        (
            "TokenObtainSlidingView",
            "SLIDING_TOKEN_OBTAIN_SERIALIZER",
            "TokenObtainSlidingSerializer",
            "TokenObtainSerializer",
            True,
        ),
        (
            "TokenRefreshSlidingView",
            "SLIDING_TOKEN_REFRESH_SERIALIZER",
            "TokenRefreshSlidingSerializer",
            "TokenRefreshSlidingSerializer",
            True,
        ),
    )
)

_OURS_OF: dict[str, str] = {pair.upstream: pair.ours for pair in PAIRS}


def ours_of(path: str) -> str | None:
    """The dotted path of ours for the dotted path of one of upstream's classes in :data:`PAIRS` (else None).

    A name upstream's mirrored modules re-export (``rest_framework_simplejwt.serializers.RefreshToken``) is
    looked up by the class it names.
    """
    found = _OURS_OF.get(path)
    if found is not None:
        return found
    module, _, name = path.rpartition(".")
    if module not in _MIRRORED_MODULES:
        return None
    obj = getattr(importlib.import_module(module), name, None)
    return _OURS_OF.get(dotted(obj)) if obj is not None else None


def dotted(obj: Any) -> str:
    """The dotted path a class or function is defined at."""
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def resolve(path: str) -> Any:
    """The object at a dotted path (importing its module)."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
