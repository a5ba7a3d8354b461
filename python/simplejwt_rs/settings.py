"""One place to read ``SIMPLE_JWT``: upstream's settings plus our additions.

Upstream modules bind ``api_settings`` at import time, so after
``override_settings(SIMPLE_JWT=...)`` they keep reading the old object.  Every
module here reads through :func:`get` instead, which always sees the current
value, and the :func:`on_change` hooks drop whatever was built from the old one
(the codec, the JWK cache).
"""

from __future__ import annotations

import contextvars
import difflib
import json
import math
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from rest_framework_simplejwt import settings as upstream
from rest_framework_simplejwt.utils import aware_utcnow

from . import registry
from ._core import ALGORITHMS

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


def _entry_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number of entries (0: off)")
    if value < 0:
        raise ValueError("must be 0 (off) or a positive number of entries")
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
    errors: list[str] = []  # every bad entry, not only the first (several unset environment variables)
    for index, entry in enumerate(value):
        try:
            entries.append(_key_entry(index, entry))
        except (TypeError, ValueError) as exc:
            errors.append(str(exc))
    if errors:
        raise KeySetError(errors)
    return tuple(entries)


class KeySetError(ValueError):
    """Every entry of KEYS that cannot be used, each with its own message (``problems`` reports each)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _key_entry(index: int, entry: Any) -> _KeySetEntry:
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
        unset = [member for member in ("signing_key", "verifying_key") if member in entry]
        why = f" ({' and '.join(map(repr, unset))} None: an environment variable that is not set?)" if unset else ""
        raise ValueError(f"{where} has neither 'signing_key' nor 'verifying_key'{why}")
    for member in ("signing_key", "verifying_key"):
        key = entry.get(member)
        if key is not None and not _key_material(key):
            raise TypeError(f"{where}: {member!r} must be a str or bytes (secret, PEM, JWK JSON) or a JWK dict")
    # The shape of _KeySetEntry, checked member by member above.
    return cast("_KeySetEntry", {name: entry[name] for name in KEY_MEMBERS if entry.get(name) is not None})


# RFC 6265's cookie-name token: visible ASCII without separators (Django would quote anything else).
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _cookie_name(value: Any) -> str:
    if not isinstance(value, str) or not _COOKIE_NAME.fullmatch(value):
        raise TypeError("must be a cookie name: a non-empty string of letters, digits and !#$%&'*+-.^_`|~")
    return value


def _samesite(value: Any) -> str:
    choices = {"lax": "Lax", "strict": "Strict", "none": "None"}
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError("must be 'Lax', 'Strict' or 'None' (the string)")
    return choices[value.lower()]


def _cookie_domain(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or any(c in value for c in ";, \t\r\n"):
        raise TypeError("must be None or a domain such as '.example.com'")
    return value


def _cookie_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/") or any(c in value for c in "; \t\r\n"):
        raise TypeError("must be a URL path starting with '/'")
    return value


def _optional_cookie_path(value: Any) -> str | None:
    return None if value is None else _cookie_path(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a positive integer")
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _optional_positive_int(value: Any) -> int | None:
    return None if value is None else _positive_int(value)


def _meta_key(value: Any) -> str:
    """A ``request.META`` key: ``REMOTE_ADDR``, or a header as Django names it (``HTTP_X_FORWARDED_FOR``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        raise TypeError("must be a request.META key such as 'REMOTE_ADDR' or 'HTTP_X_FORWARDED_FOR'")
    return value


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
    # Ours: when USER_ID_FIELD is not the primary key, tokens also carry the account's pk in this claim and
    # name nobody without it (a new account can take a deleted one's username; see policy.token_account).
    "USER_PK_CLAIM": ("user_pk", _optional_claim),
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
    # Ours: with POLICY_CACHE on Django's RedisCache, each process keeps up to this many of its entries, kept
    # coherent by Redis's invalidations (policy_cache/near.py); 0: off.  And the longest an entry is kept.
    "POLICY_NEAR_CACHE": (10_000, _entry_count),
    "POLICY_NEAR_CACHE_SECONDS": (60, _positive_seconds),
    # Ours: the near cache also keeps JWTAuthentication's user row next to the user's verdict (process memory
    # only, dropped with the verdict), so that a warm request reads no row: no SQL, and no thread hop in async.
    "POLICY_NEAR_CACHE_USERS": (False, _bool),
    # Ours: a key set chosen by the token's kid (see backends.TokenBackend and the README's "Rotating keys").
    # An empty list: SIGNING_KEY/VERIFYING_KEY only, as upstream.
    "KEYS": ((), _keys),
    # Ours: JWKSView's Cache-Control max-age: how long verifiers may keep the published key set.
    "JWKS_MAX_AGE": (300, _max_age),
    # Ours: the cookie transport for browser apps (JWTCookieAuthentication and the Cookie* views; see
    # docs/browser-apps.md).  The cookies are always HttpOnly.
    "AUTH_COOKIE": ("access_token", _cookie_name),
    "AUTH_REFRESH_COOKIE": ("refresh_token", _cookie_name),
    "AUTH_COOKIE_SECURE": (True, _bool),
    "AUTH_COOKIE_SAMESITE": ("Lax", _samesite),
    "AUTH_COOKIE_DOMAIN": (None, _cookie_domain),
    "AUTH_COOKIE_PATH": ("/", _cookie_path),
    # None: the longest path prefix shared by the routes of CookieTokenRefreshView and CookieTokenBlacklistView.
    "AUTH_REFRESH_COOKIE_PATH": (None, _optional_cookie_path),
    # Ours: sessions (sessions.py): a login beyond this many sessions of a user ends the least recently used.
    "MAX_SESSIONS_PER_USER": (None, _optional_positive_int),
    # Ours: where sessions and security events read the client's address (events.client_ip): a request.META
    # key, and for a list (X-Forwarded-For) how many entries from the right (one per trusted proxy).
    "CLIENT_IP_META_KEY": ("REMOTE_ADDR", _meta_key),
    "CLIENT_IP_PROXIES": (1, _positive_int),
    # Ours: the flush commands delete this many rows per statement (store._batch_size).
    "FLUSH_BATCH_SIZE": (1000, _positive_int),
    # simplejwt 6.0's login hooks (its settings take over when the installed release has them).
    "ON_LOGIN_SUCCESS": ("simplejwt_rs.serializers.default_on_login_success", _callable),
    "ON_LOGIN_FAILED": ("simplejwt_rs.serializers.default_on_login_failed", _callable),
}

# Settings for which no default is a safe stand-in: a key set that cannot be read is not replaced by
# SIGNING_KEY (tokens would be signed and verified with another key than the project named); every token
# operation raises ImproperlyConfigured until it is fixed (and `manage.py check` says E008).
NO_FALLBACK = frozenset({"KEYS"})

# --- upstream's settings: the type each token path needs (E008 in `manage.py check`) -------------------------
# Upstream reads these as they are, so a value of the wrong type is a 500 at the first request that reads
# it.  Each validator raises TypeError/ValueError whose message says how to write the value instead.

_UNITS = {"s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds", "m": "minutes",
          "min": "minutes", "minute": "minutes", "minutes": "minutes", "h": "hours", "hour": "hours",
          "hours": "hours", "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks",
          "weeks": "weeks", "": "seconds"}  # fmt: skip


def _timedelta_fix(value: Any) -> str:
    """How to write ``value`` (a number, "5m", "300") as the timedelta it probably meant."""
    amount: Any = None
    unit = "seconds"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        amount = value
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", value)
        if match and match.group(2).lower() in _UNITS:
            amount, unit = match.group(1), _UNITS[match.group(2).lower()]
    if amount is None:
        return "e.g. timedelta(minutes=5) (from datetime import timedelta)"
    return f"use timedelta({unit}={amount}) (from datetime import timedelta)"


def _timedelta(value: Any) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(f"must be a datetime.timedelta: {_timedelta_fix(value)}")
    return value


def _upstream_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
        fix = f"use {value.strip().capitalize()} without quotes" if quoted else "use True or False"
        raise TypeError(f"must be True or False: {fix}")
    return value


def _text(value: Any, optional: bool = False) -> Any:
    """A claim name, header name or field name: a non-empty string (or None where upstream allows it)."""
    if value is None and optional:
        return value
    if not isinstance(value, str) or not value:
        raise TypeError(f"must be {'None or ' if optional else ''}a non-empty string")
    return value


def _algorithm(value: Any) -> str:
    if not isinstance(value, str) or value not in ALGORITHMS:
        close = difflib.get_close_matches(value.upper(), ALGORITHMS, n=1) if isinstance(value, str) else []
        fix = f"did you mean {close[0]!r}?" if close else f"one of {', '.join(ALGORITHMS)}"
        raise ValueError(f"is not an algorithm simplejwt-rs signs or verifies: {fix}")
    return value


def _key(value: Any) -> Any:
    if value is not None and not _key_material(value):
        raise TypeError("must be a str or bytes (a secret, a PEM, JWK JSON), a JWK dict, or None")
    return value


def _audience(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(item, str) and item for item in value):
        return value
    raise TypeError("must be None, an audience string such as 'my-api', or a list of them")


def _optional_str(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and value):
        raise TypeError("must be None or a non-empty string")
    return value


def _header_word(item: Any) -> bool:
    """One word of an HTTP header: ISO-8859-1 (the header's encoding), no whitespace."""
    try:
        encoded = item.encode("latin-1") if isinstance(item, str) else None
    except UnicodeEncodeError:
        return False
    return encoded is not None and encoded.split() == [encoded]


def _header_types(value: Any) -> Any:
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(_header_word(item) for item in items):
        raise TypeError("must be a non-empty tuple of header words (ISO-8859-1, no spaces), e.g. ('Bearer',)")
    return value


def _imported(value: Any, what: str) -> Any:
    """A dotted path (imported here) or the object itself."""
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except Exception as exc:  # noqa: BLE001  (a module that fails to import, however: reported, never raised)
        raise ValueError(f"cannot be imported ({type(exc).__name__}: {exc}); name {what} by its dotted path") from None


def _function(value: Any) -> Any:
    if not callable(_imported(value, "a function")):
        raise TypeError("must be a function or the dotted path of one")
    return value


def _class(value: Any) -> Any:
    if not isinstance(_imported(value, "a class"), type):
        raise TypeError("must be a class or the dotted path of one")
    return value


def _optional_encoder(value: Any) -> Any:
    if value is not None and not (
        isinstance(cls := _imported(value, "a class"), type) and issubclass(cls, json.JSONEncoder)
    ):
        raise TypeError("must be None or a json.JSONEncoder subclass (or its dotted path)")
    return value


def _class_path(value: Any) -> Any:
    """A serializer setting: its dotted path or class (whether it imports and what it is built on: E010)."""
    if not isinstance(value, (str, type)):
        raise TypeError("must be the dotted path of a serializer class, e.g. 'myapp.serializers.MySerializer'")
    return value


def _token_classes(value: Any) -> Any:
    """Each entry's import and base class are E012's; here only the shape (a str alone is iterated by letter)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, (str, type)) for item in value):
        raise TypeError("must be a tuple of token classes (or dotted paths), e.g. ('simplejwt_rs.tokens.AccessToken',)")
    return value


UPSTREAM_TYPES: dict[str, Callable[[Any], Any]] = {
    "ACCESS_TOKEN_LIFETIME": _timedelta,
    "REFRESH_TOKEN_LIFETIME": _timedelta,
    "SLIDING_TOKEN_LIFETIME": _timedelta,
    "SLIDING_TOKEN_REFRESH_LIFETIME": _timedelta,
    "ROTATE_REFRESH_TOKENS": _upstream_bool,
    "BLACKLIST_AFTER_ROTATION": _upstream_bool,
    "UPDATE_LAST_LOGIN": _upstream_bool,
    "CHECK_REVOKE_TOKEN": _upstream_bool,
    "ALGORITHM": _algorithm,
    "SIGNING_KEY": _key,
    "VERIFYING_KEY": _key,
    "AUDIENCE": _audience,
    "ISSUER": _optional_str,
    "JSON_ENCODER": _optional_encoder,
    "JWK_URL": _optional_str,
    "LEEWAY": _seconds,
    "AUTH_HEADER_TYPES": _header_types,
    "AUTH_HEADER_NAME": _text,
    "USER_ID_FIELD": _text,
    "USER_ID_CLAIM": _text,
    "USER_AUTHENTICATION_RULE": _function,
    "ON_LOGIN_SUCCESS": _function,
    "ON_LOGIN_FAILED": _function,
    "AUTH_TOKEN_CLASSES": _token_classes,
    "TOKEN_TYPE_CLAIM": _text,
    "JTI_CLAIM": lambda value: _text(value, optional=True),
    "TOKEN_USER_CLASS": _class,
    "SLIDING_TOKEN_REFRESH_EXP_CLAIM": _text,
    "REVOKE_TOKEN_CLAIM": _text,
    "TOKEN_OBTAIN_SERIALIZER": _class_path,
    "TOKEN_REFRESH_SERIALIZER": _class_path,
    "TOKEN_VERIFY_SERIALIZER": _class_path,
    "TOKEN_BLACKLIST_SERIALIZER": _class_path,
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": _class_path,
    "SLIDING_TOKEN_REFRESH_SERIALIZER": _class_path,
}

# Every SIMPLE_JWT key a project may write: upstream's (the installed release's, and those of the releases we
# support before and after it, e.g. simplejwt 6's login hooks) and ours.  Anything else is a typo (W050).
KNOWN_SETTINGS = frozenset(upstream.DEFAULTS) | frozenset(UPSTREAM_TYPES) | frozenset(DEFAULTS)


def unknown_settings() -> list[tuple[str, str | None]]:
    """(key, the closest known key or None) for each key of SIMPLE_JWT no release of simplejwt nor we read."""
    found: list[tuple[str, str | None]] = []
    for name in _user_settings():
        if name in KNOWN_SETTINGS:
            continue
        text = str(name)
        close = text.upper() if text.upper() in KNOWN_SETTINGS else None
        close = close or next(iter(difflib.get_close_matches(text.upper(), sorted(KNOWN_SETTINGS), n=1)), None)
        found.append((text, close))
    return found


BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"

# Where upstream releases differ in what they put in a token, we follow the installed one.
UPSTREAM_VERSION = tuple(int(part) for part in version("djangorestframework-simplejwt").split(".")[:2])

_hooks: list[Callable[[], None]] = []


# name -> the value of an upstream setting last found of the right type (UPSTREAM_TYPES); compared by identity, so
# that a read costs one lookup and a changed value (a new object) is checked again.
_typed: dict[str, Any] = {}
_UNCHECKED = object()
# Set while the system checks run: they read values E008 reports, as written (see as_written).
_as_written: contextvars.ContextVar[bool] = contextvars.ContextVar("simplejwt_rs_as_written", default=False)


@contextmanager
def as_written() -> Iterator[None]:
    """While this runs, :func:`get` returns an upstream setting of the wrong type as written (the system checks
    report it as E008 and judge the other settings on)."""
    token = _as_written.set(True)
    try:
        yield
    finally:
        _as_written.reset(token)


def get(name: str) -> Any:
    """The current value of a ``SIMPLE_JWT`` setting, upstream's or ours (ours parsed, see DEFAULTS).

    An upstream setting of the wrong type (E008 at ``manage.py check``) raises ``ImproperlyConfigured`` naming
    it, where upstream's code would fail later with a ``TypeError`` of its own.
    """
    api = upstream.api_settings
    if name in api.defaults:
        value = getattr(api, name)
        if _typed.get(name, _UNCHECKED) is not value and not _as_written.get():
            _check_upstream_type(name, value)
        return value
    default, parse = DEFAULTS[name]
    value = _user_settings().get(name, default)
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        if name in NO_FALLBACK:
            raise ImproperlyConfigured(f"SIMPLE_JWT[{name!r}] {exc}") from exc
        return parse(default)  # reported by `manage.py check` (E008); never a 500 at the first replay


def _check_upstream_type(name: str, value: Any) -> None:
    check = UPSTREAM_TYPES.get(name)
    if check is not None:
        try:
            check(value)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"SIMPLE_JWT[{name!r}] {exc} (manage.py check: simplejwt_rs.E008)") from None
    _typed[name] = value


def _user_settings() -> dict[str, Any]:
    value = getattr(django_settings, "SIMPLE_JWT", None) or {}
    return value if isinstance(value, dict) else {}


def raw(name: str) -> Any:
    """The project's value of an upstream setting as written (a dotted path not imported), or upstream's default."""
    return _user_settings().get(name, upstream.DEFAULTS.get(name))


def explicit(name: str) -> bool:
    """Whether the project's ``SIMPLE_JWT`` names ``name`` (rather than leaving it at its default)."""
    return name in _user_settings()


def problems() -> list[tuple[str, str]]:
    """(setting, what is wrong) for each setting, ours or upstream's, whose value cannot be used."""
    found: list[tuple[str, str]] = []
    for name, value in _user_settings().items():
        parse = DEFAULTS[name][1] if name in DEFAULTS else UPSTREAM_TYPES.get(name)
        if parse is None:
            continue
        try:
            parse(value)
        except KeySetError as exc:
            found.extend((name, error) for error in exc.errors)  # each bad entry (never its key material)
        except (TypeError, ValueError) as exc:
            # A key holds private material: its message names entries by kid, never the value.
            shown = "" if name in NO_FALLBACK or name in SECRET_SETTINGS else f" (got {_shown(value)})"
            found.append((name, f"{exc}{shown}"))
    return found


# Settings whose value is never repeated in a message (key material).
SECRET_SETTINGS = frozenset({"SIGNING_KEY", "VERIFYING_KEY", "KEYS"})


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def upstream_setting(name: str) -> bool:
    """Whether ``name`` is read by upstream's code as it is (no default stands in for a wrong value)."""
    return name not in DEFAULTS


def get_ours(name: str) -> Any:
    """Like :func:`get`, but an upstream class or function named in the setting is swapped for ours.

    A project that forgot to change one ``rest_framework_simplejwt.tokens.AccessToken``
    string still gets the Rust path and the user policy instead of a silent mix.
    """
    value = get(name)
    # The swap for the value last seen, kept per setting (AUTH_TOKEN_CLASSES is read on every request): the
    # same object with the same items swaps to the same classes.
    items = tuple(value) if isinstance(value, (list, tuple)) else None
    seen = _swapped.get(name)
    if seen is not None and seen[0] is value and seen[1] == items:
        return seen[2]
    swapped = type(value)(_ours(item) for item in value) if items is not None else _ours(value)
    _swapped[name] = (value, items, swapped)
    return swapped


_swapped: dict[str, tuple[Any, Any, Any]] = {}


def counterpart(obj: Any) -> Any:
    """Our class of the same name for one of upstream's (a class or its dotted path); anything else unchanged.

    The pairs are :mod:`simplejwt_rs.registry`'s.
    """
    return _ours(obj)


def _ours(obj: Any) -> Any:
    ours = registry.ours_of(obj if isinstance(obj, str) else registry.dotted(obj))
    if ours is None:
        return obj
    return ours if isinstance(obj, str) else registry.resolve(ours)


def blacklist_installed() -> bool:
    return BLACKLIST_APP in django_settings.INSTALLED_APPS


def app_installed() -> bool:
    """Whether ``simplejwt_rs`` is in INSTALLED_APPS (its tables, its checks, upstream's views routed to ours)."""
    return any(app == "simplejwt_rs" or app.startswith("simplejwt_rs.apps.") for app in django_settings.INSTALLED_APPS)


class AppNotInstalled(ImproperlyConfigured, CommandError):
    """simplejwt_rs is imported but not in INSTALLED_APPS.

    An ImproperlyConfigured, as Django's own; also a CommandError, so that a management command it interrupts
    (``manage.py check`` importing the URLconf, ``migrate``) prints this one line instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.returncode = 1


# Django prints a CommandError as "<class name>: <message>": the name it is known by.
AppNotInstalled.__name__ = AppNotInstalled.__qualname__ = "ImproperlyConfigured"

if not app_installed():
    # Without the app nothing registers the system checks, upstream's views keep upstream's
    # serializers and reuse detection has no tables: guarantees would lapse silently.
    raise AppNotInstalled(
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
