"""One place to read ``SIMPLE_JWT``: upstream's settings plus our additions.

Upstream modules bind ``api_settings`` at import time, so after
``override_settings(SIMPLE_JWT=...)`` they keep reading the old object.  Every
module here reads through :func:`get` instead, which always sees the current
value, and the :func:`on_change` hooks drop whatever was built from the old one
(the codec, the JWK cache).
"""

from __future__ import annotations

import importlib
import math
import time
import types
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from rest_framework_simplejwt import settings as upstream
from rest_framework_simplejwt.utils import aware_utcnow

if TYPE_CHECKING:
    from ._core import _KeySetEntry

# Settings that only exist here (or only in newer simplejwt releases, so that
# 5.3.1 behaves like 5.4+): name -> (default, parser).  Documented in the README.
# A parser turns what a user would reasonably write into one type, or raises
# ValueError/TypeError; `manage.py check` reports that as simplejwt_rs.E008 and
# at run time the default applies (each default is the secure choice).


def _callable(value: Any) -> Callable[..., Any]:
    """A function, or the dotted path of one (as simplejwt's import strings)."""
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise ValueError(f"cannot be imported: {exc}") from exc
    if not callable(value):
        raise TypeError("must be a callable or its dotted path")
    return cast("Callable[..., Any]", value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be True or False")
    return value


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else _bool(value)


def _seconds(value: Any) -> float:
    """A duration: a ``timedelta`` (as every simplejwt lifetime) or a number of seconds."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("must be a datetime.timedelta or a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a finite, non-negative duration")
    return float(value)


def _positive_seconds(value: Any) -> float:
    seconds = _seconds(value)
    if seconds <= 0:
        raise ValueError("must be a positive duration")
    return seconds


def _optional_size(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be None or a positive integer (bytes)")
    if value <= 0:
        raise ValueError("must be a positive number of bytes")
    return value


def _optional_claim(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError("must be None or a non-empty claim name")
    return value


def _optional_cache_alias(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError("must be None or the alias of a cache in CACHES")
    if value not in getattr(django_settings, "CACHES", {"default": {}}):
        raise ValueError("names no cache in CACHES")
    return value


# The members a KEYS entry may have (names fixed by issue 13, so that projects and docs can rely on them).
KEY_MEMBERS = ("kid", "algorithm", "signing_key", "verifying_key")


def _key_material(value: Any) -> bool:
    """What the core takes as a key: a secret or PEM (str/bytes), JWK JSON text, or a JWK mapping."""
    return isinstance(value, (str, bytes, Mapping))


def _keys(value: Any) -> tuple[_KeySetEntry, ...]:
    """KEYS: a list of entries ``{"kid", "signing_key" and/or "verifying_key", optional "algorithm"}``.

    Only the shape is read here.  Duplicate kids, a key that does not fit its algorithm and the other
    mistakes of content have checks of their own (E040-E046); the core refuses them as well.
    """
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise TypeError("must be a list of key entries (dicts with 'kid' and 'signing_key' and/or 'verifying_key')")
    entries: list[_KeySetEntry] = []
    for index, entry in enumerate(value):
        where = f"entry {index}"
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a dict, not {type(entry).__name__}")
        unknown = sorted(str(name) for name in entry if name not in KEY_MEMBERS)
        if unknown:
            raise ValueError(f"{where} has unknown members {unknown}; an entry has {list(KEY_MEMBERS)}")
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TypeError(f"{where} needs a 'kid': a non-empty string")
        where = f"entry {kid!r}"
        algorithm = entry.get("algorithm")
        if algorithm is not None and not isinstance(algorithm, str):
            raise TypeError(f"{where}: 'algorithm' must be an algorithm name such as 'RS256'")
        if entry.get("signing_key") is None and entry.get("verifying_key") is None:
            raise ValueError(f"{where} has neither 'signing_key' nor 'verifying_key'")
        for member in ("signing_key", "verifying_key"):
            key = entry.get(member)
            if key is not None and not _key_material(key):
                raise TypeError(f"{where}: {member!r} must be a str or bytes (secret, PEM, JWK JSON) or a JWK dict")
        # The shape of _KeySetEntry, checked member by member above.
        entries.append(cast("_KeySetEntry", {name: entry[name] for name in KEY_MEMBERS if entry.get(name) is not None}))
    return tuple(entries)


def _max_age(value: Any) -> int:
    """Cache-Control max-age: whole seconds."""
    return int(_seconds(value))


DEFAULTS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    # simplejwt 5.4 added this; on 5.3.1 we read it from SIMPLE_JWT ourselves.
    "CHECK_USER_IS_ACTIVE": (True, _bool),
    # Ours: TokenVerifyView also applies the user policy when the token names a user.
    "VERIFY_CHECKS_USER": (True, _bool),
    # Ours: how long a fetched JWK set is trusted, and how often an unknown kid may trigger a refetch.
    "JWK_CACHE_SECONDS": (300, _seconds),
    "JWK_REFETCH_INTERVAL": (30, _seconds),
    # Ours: a JWK set fetch gives up after this long (a request with a cached kid never waits for one).
    "JWK_FETCH_TIMEOUT": (2, _positive_seconds),
    # Ours: tokens longer than this are refused before parsing (None = the core's default).
    "MAX_TOKEN_BYTES": (None, _optional_size),
    # Ours: single-use rotation and reuse detection (see store.py).
    # The claim that carries a token family id from obtain across every rotation (None: no claim;
    # the family is then known from the rotation records only, so access tokens cannot carry it).
    "TOKEN_FAMILY_CLAIM": ("token_family", _optional_claim),
    # Revoke the family when an already-rotated refresh token comes back (None: on whenever
    # ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION are).
    "REFRESH_TOKEN_REUSE_DETECTION": (None, _optional_bool),
    # A retry of the immediately previous refresh token within this many seconds is refused without
    # revoking the family (for clients that lost the response).
    "REFRESH_TOKEN_REUSE_GRACE_SECONDS": (0, _seconds),
    # Ours: route upstream's base classes' token paths through ours, so that another package's subclasses
    # (dj-rest-auth's cookie authentication and refresh serializer) get every guarantee (see upstream_patch.py).
    "PATCH_UPSTREAM_CLASSES": (False, _bool),
    # Ours: a cache alias (a RedisCache shared by every server) for the user policy and revocations, so that
    # authentication enforces them without a query per request (see policy_cache.py); None: no cache.
    "POLICY_CACHE": (None, _optional_cache_alias),
    # Ours: a key set chosen by the token's kid (see backends.TokenBackend and the README's "Rotating keys").
    # An empty list: SIGNING_KEY/VERIFYING_KEY only, as upstream.
    "KEYS": ((), _keys),
    # Ours: JWKSView's Cache-Control max-age: how long verifiers may keep the published key set.
    "JWKS_MAX_AGE": (300, _max_age),
    # simplejwt 6.0's login hooks (its settings take over when the installed release has them).
    "ON_LOGIN_SUCCESS": ("simplejwt_rs.serializers.default_on_login_success", _callable),
    "ON_LOGIN_FAILED": ("simplejwt_rs.serializers.default_on_login_failed", _callable),
}

# Settings for which no default is a safe stand-in: a key set that cannot be read is not replaced by
# SIGNING_KEY (tokens would be signed and verified with another key than the project named); every token
# operation raises ImproperlyConfigured until it is fixed (and `manage.py check` says E008).
NO_FALLBACK = frozenset({"KEYS"})

BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"

# Where upstream releases differ in what they put in a token, we follow the installed one.
UPSTREAM_VERSION = tuple(int(part) for part in version("djangorestframework-simplejwt").split(".")[:2])

_hooks: list[Callable[[], None]] = []


def get(name: str) -> Any:
    """The current value of a ``SIMPLE_JWT`` setting, upstream's or ours (ours parsed, see DEFAULTS)."""
    api = upstream.api_settings
    if name in api.defaults:
        return getattr(api, name)
    default, parse = DEFAULTS[name]
    value = _user_settings().get(name, default)
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        if name in NO_FALLBACK:
            raise ImproperlyConfigured(f"SIMPLE_JWT[{name!r}] {exc}") from exc
        return parse(default)  # reported by `manage.py check` (E008); never a 500 at the first replay


def _user_settings() -> dict[str, Any]:
    value = getattr(django_settings, "SIMPLE_JWT", None) or {}
    return value if isinstance(value, dict) else {}


def explicit(name: str) -> bool:
    """Whether the project's ``SIMPLE_JWT`` names ``name`` (rather than leaving it at its default)."""
    return name in _user_settings()


def problems() -> list[tuple[str, str]]:
    """(setting, what is wrong) for each of our settings whose value cannot be used."""
    found = []
    for name, value in _user_settings().items():
        if name in DEFAULTS:
            try:
                DEFAULTS[name][1](value)
            except (TypeError, ValueError) as exc:
                # A key set holds private keys: its message names entries by kid, never the value.
                found.append((name, str(exc) if name in NO_FALLBACK else f"{exc} (got {value!r})"))
    return found


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


def app_installed() -> bool:
    """Whether ``simplejwt_rs`` is in INSTALLED_APPS (its tables, its checks, upstream's views routed to ours)."""
    return any(app == "simplejwt_rs" or app.startswith("simplejwt_rs.apps.") for app in django_settings.INSTALLED_APPS)


if not app_installed():
    # Without the app nothing registers the system checks, upstream's views keep upstream's
    # serializers and reuse detection has no tables: guarantees would lapse silently.
    raise ImproperlyConfigured(
        "simplejwt_rs is used (a SIMPLE_JWT or REST_FRAMEWORK setting names it) but 'simplejwt_rs' is not in "
        "INSTALLED_APPS: add it and run `manage.py migrate`."
    )


# Freezing time the way upstream's tests and many projects' do, ``patch("rest_framework_simplejwt.tokens
# .aware_utcnow")`` (or on simplejwt_rs.tokens), sets the clock :func:`now` reads.  The modules are told
# apart by their class, so that :func:`now` costs nothing more than ``time.time()`` until one is patched.
_clock_modules: list[types.ModuleType] = []
_patched_clock: Callable[[], datetime] | None = None


class _ClockSeam(types.ModuleType):
    """A module whose ``aware_utcnow``, when set or deleted (``mock.patch``), re-reads the clock :func:`now` uses."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "aware_utcnow":
            _find_patched_clock()

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name == "aware_utcnow":
            _find_patched_clock()


def clock_patchable_in(module: types.ModuleType) -> None:
    """Let ``aware_utcnow`` patched in ``module`` set the time :func:`now` reads."""
    if type(module) is types.ModuleType:
        module.__class__ = _ClockSeam
    if not any(known is module for known in _clock_modules):
        _clock_modules.append(module)
    _find_patched_clock()


def _find_patched_clock() -> None:
    global _patched_clock
    clocks = (vars(module).get("aware_utcnow", aware_utcnow) for module in _clock_modules)
    _patched_clock = next((clock for clock in clocks if clock is not aware_utcnow), None)


def now() -> float:
    """The one clock every token path uses: ``time.time()``, unless a test replaced this function or
    patched ``aware_utcnow`` where :func:`clock_patchable_in` allows it."""
    if _patched_clock is None:
        return time.time()
    frozen = _patched_clock()
    # upstream's aware_utcnow is naive UTC without USE_TZ
    return (frozen if frozen.tzinfo else frozen.replace(tzinfo=timezone.utc)).timestamp()


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
