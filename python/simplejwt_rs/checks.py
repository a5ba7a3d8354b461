"""System checks (``manage.py check``): a configuration that would switch a guarantee off is an error.

Registered by the app's ``ready()``.  Each message names the exact setting,
URL route or class at fault.
"""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.checks import ERROR, WARNING, CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DatabaseError
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from rest_framework.views import APIView
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt import views as up_views
from rest_framework_simplejwt.exceptions import TokenBackendError

from . import authentication, policy, registry, store, tokens, upstream_patch, views
from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import Codec
from .backends import token_backend
from .policy_cache import near
from .settings import blacklist_installed, explicit, get, get_ours, problems, unknown_settings, upstream_setting

if TYPE_CHECKING:
    from ._core import _KeySetEntry

_Check = TypeVar("_Check", bound=Callable[..., list[CheckMessage]])

# The one table of check ids: each with its level and what it means, in number order.  Every message below takes
# its level from here (:func:`_message`); a test holds the ids the code emits to exactly these, and the docs'
# checks page is rendered from it (:func:`checks_table`).
CHECKS: dict[str, tuple[int, str]] = {
    "simplejwt_rs.W001": (WARNING, "An HMAC signing key is shorter than the hash (32/48/64 bytes for HS256/384/512)."),
    "simplejwt_rs.E002": (ERROR, "An asymmetric ALGORITHM with neither VERIFYING_KEY nor JWK_URL (nor KEYS)."),
    "simplejwt_rs.E003": (ERROR, "BLACKLIST_AFTER_ROTATION is on but the token_blacklist app is not installed."),
    "simplejwt_rs.E004": (ERROR, "The keys cannot be used with the algorithm (unparsable, wrong type or curve)."),
    "simplejwt_rs.E005": (ERROR, "Rotation with BLACKLIST_AFTER_ROTATION but JTI_CLAIM is None: no single use."),
    "simplejwt_rs.W007": (WARNING, "Reuse detection on but TOKEN_FAMILY_CLAIM is None: access tokens carry no family."),
    "simplejwt_rs.E008": (ERROR, "A setting, ours or upstream's, has a value of the wrong type."),
    "simplejwt_rs.W009": (WARNING, "USER_ID_FIELD is not a unique field of the user model."),
    "simplejwt_rs.E010": (ERROR, "A serializer setting names a class not built on ours, or that cannot be imported."),
    "simplejwt_rs.E011": (ERROR, "DEFAULT_AUTHENTICATION_CLASSES names upstream's JWT authentication, not ours."),
    "simplejwt_rs.E012": (ERROR, "AUTH_TOKEN_CLASSES names a class built on upstream's, or no usable token class."),
    "simplejwt_rs.E013": (ERROR, "A URL route gives a token view a serializer not built on ours."),
    "simplejwt_rs.E014": (ERROR, "A URL route's view authenticates with upstream's JWT authentication."),
    "simplejwt_rs.E015": (ERROR, "Your project's own class is built on upstream's: the import to change."),
    "simplejwt_rs.E020": (
        ERROR,
        "An installed package uses subclasses of upstream's classes, PATCH_UPSTREAM_CLASSES off.",
    ),
    "simplejwt_rs.E021": (ERROR, "With PATCH_UPSTREAM_CLASSES, a class overrides a routed method without super()."),
    "simplejwt_rs.E022": (ERROR, "With PATCH_UPSTREAM_CLASSES, a token class in use subclasses upstream's, not ours."),
    "simplejwt_rs.E030": (ERROR, "JWK_URL is set and SIGNING_KEY can sign: tokens minted here carry no kid."),
    "simplejwt_rs.E031": (ERROR, "JWK_URL is set and a URL route mints tokens this service cannot verify."),
    "simplejwt_rs.E040": (ERROR, "Two entries of KEYS have the same kid."),
    "simplejwt_rs.E041": (ERROR, "No entry of KEYS has a signing key, but a URL route mints tokens."),
    "simplejwt_rs.E042": (ERROR, "An entry of KEYS has a key that does not fit its algorithm."),
    "simplejwt_rs.E043": (ERROR, "An asymmetric entry of KEYS has a private key as its verifying_key."),
    "simplejwt_rs.W044": (WARNING, "KEYS is set, and SIGNING_KEY/VERIFYING_KEY now only verify tokens without a kid."),
    "simplejwt_rs.W045": (WARNING, "KEYS with JWK_URL under an HMAC ALGORITHM: the JWK set is never consulted."),
    "simplejwt_rs.W046": (WARNING, "A URL route publishes the key set, but the entry that signs is HMAC."),
    "simplejwt_rs.W050": (WARNING, "A SIMPLE_JWT key that neither simplejwt nor simplejwt-rs reads (a typo?)."),
    "simplejwt_rs.W051": (WARNING, "The token store's migrations are not applied on a database (--database)."),
    "simplejwt_rs.E060": (ERROR, "AUTH_COOKIE_SECURE is off while DEBUG is off: token cookies would travel over HTTP."),
    "simplejwt_rs.E061": (
        ERROR,
        "AUTH_COOKIE_SAMESITE is 'None' without AUTH_COOKIE_SECURE: browsers drop the cookies.",
    ),
    "simplejwt_rs.E062": (
        ERROR,
        "A URL route serves a cookie token view, but CsrfViewMiddleware is not in MIDDLEWARE.",
    ),
    "simplejwt_rs.W080": (WARNING, "MAX_SESSIONS_PER_USER is set, but without single-use rotation no session is kept."),
    "simplejwt_rs.W090": (WARNING, "POLICY_NEAR_CACHE is set, but POLICY_CACHE's cache cannot have a near cache."),
    "simplejwt_rs.E110": (ERROR, "USER_PK_CLAIM names a claim tokens already carry: it overwrites that claim."),
    "simplejwt_rs.W110": (WARNING, "USER_PK_CLAIM is None while USER_ID_FIELD is not the primary key."),
}
_LEVELS: dict[int, tuple[str, type[CheckMessage]]] = {ERROR: ("Error", Error), WARNING: ("Warning", Warning)}


def _message(msg: str, *, id: str, hint: str | None = None) -> CheckMessage:  # noqa: A002  (Django's name)
    """The message ``id`` says, at the level :data:`CHECKS` gives it (an id not in the table is a KeyError)."""
    level, _meaning = CHECKS[id]
    return _LEVELS[level][1](msg, hint=hint, id=id)


def checks_table() -> str:
    """:data:`CHECKS` as a Markdown table (``| id | level | meaning |``), for the docs' checks page."""
    rows = ["| id | level | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{check_id}` | {_LEVELS[level][0]} | {meaning} |" for check_id, (level, meaning) in CHECKS.items()]
    return "\n".join(rows) + "\n"


# RFC 7518 section 3.2: an HMAC key must be at least as long as the hash output.
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

# Each serializer setting, and the class of ours that a serializer named there must be (or subclass): the registry's.
SERIALIZER_SETTINGS: dict[str, type] = {view.setting: registry.resolve(view.base) for view in registry.VIEWS}
OUR_SERIALIZERS = tuple(set(SERIALIZER_SETTINGS.values()))
# Views that sign new tokens (obtain and refresh, pair and sliding).
MINTING_VIEWS = tuple(registry.resolve(view.upstream) for view in registry.VIEWS if view.mints)


def _name(cls: Any) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}"


def _bypasses_authentication(cls: Any) -> bool:
    """An authentication class built on upstream's JWT classes but not on ours: no user policy."""
    return (
        isinstance(cls, type)
        and issubclass(cls, up_auth.JWTAuthentication)
        and not issubclass(cls, authentication.JWTAuthentication)
        and not _inherits_ours(cls)  # PATCH_UPSTREAM_CLASSES routes it through ours
    )


def _unless_a_setting_is_unreadable(check: _Check) -> _Check:
    """Run ``check``; if it fails on a setting of the wrong type (reported by E008), report nothing more.

    A check reads settings that E008 may have just refused (an ALGORITHM that is a list, a LEEWAY that is a
    string): ``manage.py check`` must then print E008, never a traceback.  Without an E008 an exception is a
    bug of the check and is raised.
    """

    @functools.wraps(check)
    def guarded(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        try:
            with jwt_settings.as_written():  # a wrong-typed upstream value is E008's, not an exception here
                return check(app_configs, **kwargs)
        except Exception:
            if problems():
                return []
            raise

    return cast("_Check", guarded)


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Keys, rotation, the types of every setting a token path reads, and unknown (misspelt) keys."""
    messages: list[CheckMessage] = []
    for name, problem in problems():
        if upstream_setting(name):
            consequence = "every request that reads it fails with a server error (500)"
        else:
            consequence = (
                "its default applies" if name != "KEYS" else "every token operation raises ImproperlyConfigured"
            )
        messages.append(
            _message(
                f"SIMPLE_JWT[{name!r}] {problem}; until it is fixed {consequence}.",
                hint="See the README's settings tables (upstream's settings and the ones simplejwt-rs adds).",
                id="simplejwt_rs.E008",
            )
        )
    for name, close in unknown_settings():
        messages.append(
            _message(
                f"SIMPLE_JWT[{name!r}] is not a setting of simplejwt or simplejwt-rs: it is ignored"
                + (f". Did you mean {close!r}?" if close else "."),
                hint=f"Rename it to {close!r}." if close else "Remove it, or see the README's settings tables.",
                id="simplejwt_rs.W050",
            )
        )
    return messages + _setting_messages()


@_unless_a_setting_is_unreadable
def _setting_messages(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    algorithm = get("ALGORITHM")
    signing_key = get("SIGNING_KEY")

    keys = _keys_or_none()
    if {"ALGORITHM", "SIGNING_KEY", "VERIFYING_KEY"} & {name for name, _ in problems()}:
        pass  # E008 says what to fix first; the keys cannot be judged under an unusable algorithm or key
    elif keys:
        messages.extend(_fallback_key_messages(algorithm))  # the entries are check_keys's
    elif keys is not None:  # (None: KEYS cannot be read, E008; which keys are in use is unknown)
        messages.extend(_top_level_key_messages(algorithm, signing_key))

    if get("BLACKLIST_AFTER_ROTATION") and not blacklist_installed():
        messages.append(
            _message(
                "SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] is on but rest_framework_simplejwt.token_blacklist "
                "is not in INSTALLED_APPS, so rotated refresh tokens stay usable.",
                hint="Add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS and migrate.",
                id="simplejwt_rs.E003",
            )
        )

    if get("ROTATE_REFRESH_TOKENS") and get("BLACKLIST_AFTER_ROTATION") and blacklist_installed():
        if get("JTI_CLAIM") is None:
            messages.append(
                _message(
                    "SIMPLE_JWT['JTI_CLAIM'] is None, so a rotated refresh token cannot be told apart from "
                    "another: single-use rotation and reuse detection are impossible.",
                    hint="Leave JTI_CLAIM at its default ('jti').",
                    id="simplejwt_rs.E005",
                )
            )
        elif store.reuse_detection() and not get("TOKEN_FAMILY_CLAIM"):
            messages.append(
                _message(
                    "SIMPLE_JWT['TOKEN_FAMILY_CLAIM'] is None, so access tokens carry no family: verify cannot "
                    "refuse the access tokens of a revoked family (refresh tokens are still tracked).",
                    hint="Leave TOKEN_FAMILY_CLAIM at its default ('token_family').",
                    id="simplejwt_rs.W007",
                )
            )

    if get("MAX_SESSIONS_PER_USER") is not None and not store.rotation_active():
        messages.append(
            _message(
                "SIMPLE_JWT['MAX_SESSIONS_PER_USER'] is set, but sessions are recorded only with single-use "
                "rotation, which is off: logins are not capped.",
                hint="Set ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION to True (with the token_blacklist app "
                "installed), or remove MAX_SESSIONS_PER_USER.",
                id="simplejwt_rs.W080",
            )
        )

    messages.extend(_pk_claim_messages())
    messages.extend(_near_cache_messages())
    return messages


def _pk_claim_messages() -> list[CheckMessage]:
    """E110 / W110: how ``USER_PK_CLAIM`` binds tokens to their account when ``USER_ID_FIELD`` is not the pk."""
    if get("USER_ID_FIELD") == get_user_model()._meta.pk.name:
        return []  # policy.pk_claim: the claim is neither written nor read
    claim = get("USER_PK_CLAIM")
    if claim is None:
        return [
            _message(
                f"SIMPLE_JWT['USER_PK_CLAIM'] is None and USER_ID_FIELD is {get('USER_ID_FIELD')!r}: tokens name "
                "whoever holds that value now, so an account that takes a deleted or renamed account's value "
                "takes its tokens too (as upstream).",
                hint="Leave USER_PK_CLAIM at its default ('user_pk'); tokens minted before then are refused once.",
                id="simplejwt_rs.W110",
            )
        ]
    taken = {
        "USER_ID_CLAIM": get("USER_ID_CLAIM"),
        "TOKEN_TYPE_CLAIM": get("TOKEN_TYPE_CLAIM"),
        "JTI_CLAIM": get("JTI_CLAIM"),
        "TOKEN_FAMILY_CLAIM": get("TOKEN_FAMILY_CLAIM"),
        "SLIDING_TOKEN_REFRESH_EXP_CLAIM": get("SLIDING_TOKEN_REFRESH_EXP_CLAIM"),
        "REVOKE_TOKEN_CLAIM": get("REVOKE_TOKEN_CLAIM") if get("CHECK_REVOKE_TOKEN") else None,
        **{f"the registered claim {name!r}": name for name in ("exp", "iat", "nbf", "aud", "iss", "sub")},
        f"the claim {policy.AFTER_REVOCATION_CLAIM!r}": policy.AFTER_REVOCATION_CLAIM,
    }
    clashes = [where for where, name in taken.items() if name == claim]
    if not clashes:
        return []
    return [
        _message(
            f"SIMPLE_JWT['USER_PK_CLAIM'] is {claim!r}, which is also {', '.join(clashes)}: for_user writes the "
            "account's primary key over it, so the user policy looks the primary key up in USER_ID_FIELD's "
            "column (or the token loses that claim) and tokens name nobody.",
            hint="Give USER_PK_CLAIM a name of its own (the default is 'user_pk').",
            id="simplejwt_rs.E110",
        )
    ]


def _near_cache_messages() -> list[CheckMessage]:
    """W090: a near cache asked for (``POLICY_NEAR_CACHE`` written, not 0) that the cache cannot have."""
    alias = get("POLICY_CACHE")
    if alias is None or not explicit("POLICY_NEAR_CACHE") or not get("POLICY_NEAR_CACHE"):
        return []
    try:
        why = near.unavailable(caches[alias])
    except Exception as exc:  # noqa: BLE001  (a backend that cannot be built: Django's own checks say so)
        why = f"the cache cannot be built ({type(exc).__name__}: {exc})"
    if why is None:
        return []
    return [
        _message(
            f"SIMPLE_JWT['POLICY_NEAR_CACHE'] is set, but there is no near cache over POLICY_CACHE {alias!r}: {why}; "
            "every request reads the cache.",
            hint="Use django.core.cache.backends.redis.RedisCache for POLICY_CACHE, or set POLICY_NEAR_CACHE to 0.",
            id="simplejwt_rs.W090",
        )
    ]


def _top_level_key_messages(algorithm: str, signing_key: Any) -> list[CheckMessage]:
    """W001, E002, E004 for SIGNING_KEY/VERIFYING_KEY (no KEYS)."""
    messages: list[CheckMessage] = []
    if algorithm in HMAC_MIN_BYTES:
        messages.extend(_short_secret("SIMPLE_JWT['SIGNING_KEY']", algorithm, signing_key))
    elif not get("VERIFYING_KEY") and not get("JWK_URL"):
        return [
            _message(
                f"SIMPLE_JWT['ALGORITHM'] is {algorithm} but neither VERIFYING_KEY nor JWK_URL is set: "
                "no token can be verified.",
                hint="Set VERIFYING_KEY to the public key (PEM or JWK) matching SIGNING_KEY, or use KEYS.",
                id="simplejwt_rs.E002",
            )
        ]
    # With JWK_URL the verifying keys come from the set; a SIGNING_KEY left at SECRET_KEY is fine then.
    if not get("JWK_URL"):
        try:
            token_backend().codec  # noqa: B018  (building it prepares and validates the keys)
        except (core_exc.JWTError, TokenBackendError, ValueError, TypeError) as exc:
            messages.append(_message(f"SIMPLE_JWT keys cannot be used with {algorithm}: {exc}", id="simplejwt_rs.E004"))
    return messages


def _fallback_key_messages(algorithm: str) -> list[CheckMessage]:
    """With KEYS: SIGNING_KEY/VERIFYING_KEY, when the project names them, verify tokens without a kid."""
    named = [name for name in ("SIGNING_KEY", "VERIFYING_KEY") if explicit(name)]
    if not named:
        return []  # upstream's default SIGNING_KEY (SECRET_KEY) is not used: tokens without a kid are refused
    signing = get("SIGNING_KEY") if "SIGNING_KEY" in named else None
    verifying = get("VERIFYING_KEY") if "VERIFYING_KEY" in named and not algorithm.startswith("HS") else None
    listed = " and ".join(f"SIMPLE_JWT[{name!r}]" for name in named)
    messages: list[CheckMessage] = [
        _message(
            f"SIMPLE_JWT['KEYS'] is set, so {listed} no longer sign{'s' if len(named) == 1 else ''}: "
            f"{'it only verifies' if len(named) == 1 else 'they only verify'} tokens without a 'kid' (minted "
            "before the switch to KEYS), under ALGORITHM.",
            hint="Remove them once REFRESH_TOKEN_LIFETIME (and SLIDING_TOKEN_REFRESH_LIFETIME, if you use sliding "
            "tokens) has passed since every server switched: no token without a kid is valid by then.",
            id="simplejwt_rs.W044",
        )
    ]
    if algorithm in HMAC_MIN_BYTES and signing is not None:
        messages.extend(_short_secret("SIMPLE_JWT['SIGNING_KEY']", algorithm, signing))
    if signing or verifying:
        try:
            Codec(algorithm, signing or None, verifying or None)
        except (core_exc.JWTError, ValueError, TypeError, OverflowError) as exc:
            messages.append(
                _message(
                    f"{listed} (which verify tokens without a kid) cannot be used with {algorithm}: {exc}",
                    id="simplejwt_rs.E004",
                )
            )
    return messages


def _short_secret(where: str, algorithm: str, secret: Any) -> list[CheckMessage]:
    """W001 for an HMAC secret shorter than the hash."""
    key = secret.encode() if isinstance(secret, str) else (secret or b"")
    if not isinstance(key, bytes) or len(key) >= HMAC_MIN_BYTES[algorithm]:
        return []  # a JWK mapping: the core checks it
    return [
        _message(
            f"{where} is {len(key)} bytes; {algorithm} needs at least {HMAC_MIN_BYTES[algorithm]} to resist "
            "brute force.",
            hint="Use a random key of at least the hash length, e.g. secrets.token_urlsafe(64).",
            id="simplejwt_rs.W001",
        )
    ]


def _keys_or_none() -> tuple[_KeySetEntry, ...] | None:
    """SIMPLE_JWT["KEYS"] parsed (empty: not set), or None when it cannot be read (E008 says why)."""
    try:
        return get("KEYS")
    except ImproperlyConfigured:
        return None


@register(Tags.security)
@_unless_a_setting_is_unreadable
def check_classes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every class a setting names for a token path must be ours (upstream's are swapped for ours)."""
    messages: list[CheckMessage] = []
    for setting, ours in SERIALIZER_SETTINGS.items():
        path = get_ours(setting)
        if not isinstance(path, (str, type)):
            continue  # E008
        try:
            cls = import_string(path) if isinstance(path, str) else path
        except Exception as exc:  # noqa: BLE001  (ImportError, or the module itself fails)
            messages.append(_message(f"SIMPLE_JWT[{setting!r}] cannot be imported: {exc}", id="simplejwt_rs.E010"))
            continue
        if not (isinstance(cls, type) and issubclass(cls, ours)) and not _project_import(cls):  # (that is E015)
            base = _our_counterpart(cls) or jwt_settings.counterpart(jwt_settings.upstream.DEFAULTS[setting])
            messages.append(
                _message(
                    f"SIMPLE_JWT[{setting!r}] is {_name(cls)}, which is not built on {_name(ours)}: "
                    "requests through it skip the user policy and single-use rotation.",
                    hint=f"Subclass {base if isinstance(base, str) else _name(base)} instead.",
                    id="simplejwt_rs.E010",
                )
            )

    token_classes = jwt_settings.raw("AUTH_TOKEN_CLASSES")
    for entry in token_classes if isinstance(token_classes, (list, tuple)) else ():  # (not a list: E008)
        try:
            cls = import_string(jwt_settings.counterpart(entry)) if isinstance(entry, str) else entry
        except Exception as exc:  # noqa: BLE001  (ImportError, or the module itself fails)
            messages.append(
                _message(
                    f"SIMPLE_JWT['AUTH_TOKEN_CLASSES'] names {entry!r}, which cannot be imported: {exc}. Every "
                    "request with a token then fails.",
                    hint="Name a token class by its dotted path, e.g. 'simplejwt_rs.tokens.AccessToken'.",
                    id="simplejwt_rs.E012",
                )
            )
            continue
        cls = jwt_settings.counterpart(cls)
        if not (isinstance(cls, type) and issubclass(cls, (up_tokens.Token, tokens.Token))):
            messages.append(
                _message(
                    f"SIMPLE_JWT['AUTH_TOKEN_CLASSES'] names {entry!r}, which is not a token class: every request "
                    "with a token then fails.",
                    hint="Name a token class by its dotted path, e.g. 'simplejwt_rs.tokens.AccessToken'.",
                    id="simplejwt_rs.E012",
                )
            )
        elif (
            isinstance(cls, type)
            and issubclass(cls, up_tokens.Token)
            and not issubclass(cls, tokens.Token)
            and not _project_import(cls)
        ):
            messages.append(
                _message(
                    f"SIMPLE_JWT['AUTH_TOKEN_CLASSES'] names {_name(cls)}, which is built on upstream's token "
                    "classes, not ours.",
                    hint="Subclass simplejwt_rs.tokens.AccessToken (or the class of ours of the same name).",
                    id="simplejwt_rs.E012",
                )
            )

    drf = getattr(django_settings, "REST_FRAMEWORK", None) or {}
    for path in drf.get("DEFAULT_AUTHENTICATION_CLASSES", ()) if isinstance(drf, dict) else ():
        try:
            cls = import_string(path) if isinstance(path, str) else path
        except Exception:  # noqa: BLE001
            continue  # DRF itself reports it at the first request
        if _bypasses_authentication(cls) and not _project_import(cls):
            messages.append(
                _message(
                    f"REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'] names {_name(cls)}: it authenticates "
                    "requests without the user policy (USER_AUTHENTICATION_RULE, password changes).",
                    hint="Use simplejwt_rs.authentication.JWTAuthentication (or subclass it).",
                    id="simplejwt_rs.E011",
                )
            )

    field_name = get("USER_ID_FIELD")
    try:
        field = get_user_model()._meta.get_field(field_name)
    except Exception:  # noqa: BLE001  (any lookup failure: the field does not exist)
        field = None
    if field is None or not (field.primary_key or field.unique):
        messages.append(
            _message(
                f"SIMPLE_JWT['USER_ID_FIELD'] is {field_name!r}, which is not a unique field of the user model: "
                "a token whose id matches several users authenticates none of them, and an id given up by one "
                "user and taken by another hands the old user's tokens to the new one.",
                hint="Use the primary key or another unique, never reused field.",
                id="simplejwt_rs.W009",
            )
        )
    return messages


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.extend(_walk(pattern.url_patterns, prefix + str(pattern.pattern)))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


class _RoutedView(NamedTuple):
    route: str
    view_class: type[Any]
    initkwargs: dict[str, Any]


# The one walk of the URL routes, shared by every check that reads them: (the resolver it walked, its views).
# A resolver is built once per URLconf (a new ROOT_URLCONF, or clear_url_caches(), gives a new one), so one run
# of the checks walks the routes once.
_walked: list[tuple[Any, list[_RoutedView]]] = []


def _routed_views() -> list[_RoutedView]:
    """(route, view class, initkwargs) for each URL route served by a class-based view (empty: broken URLconf)."""
    try:
        resolver = get_resolver()
        if _walked and _walked[0][0] is resolver:
            return _walked[0][1]
        routes = _walk(resolver.url_patterns)
    except Exception:  # noqa: BLE001  (a broken URLconf is Django's own check to report)
        return []
    found = []
    for route, callback in routes:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if isinstance(view_class, type):
            initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
            found.append(_RoutedView(route, view_class, initkwargs))
    _walked[:] = [(resolver, found)]
    return found


@register(Tags.security, Tags.urls)
@_unless_a_setting_is_unreadable
def check_routes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Routed views that would take a token past our serializers or our authentication."""
    messages: list[CheckMessage] = []
    for route, view_class, initkwargs in _routed_views():
        if issubclass(view_class, MINTING_VIEWS) and get("JWK_URL") and not _keys_or_none():
            messages.append(
                _message(
                    f"URL route {route!r} ({_name(view_class)}) mints tokens, but with SIMPLE_JWT['JWK_URL'] set "
                    "this service verifies with the key set's keys: it cannot mint a token it would accept.",
                    hint="Mint tokens in the service that owns the key set; route only verify-side views here.",
                    id="simplejwt_rs.E031",
                )
            )
        if issubclass(view_class, up_views.TokenViewBase):
            try:
                serializer = view_class(**initkwargs).get_serializer_class()
            except Exception as exc:  # noqa: BLE001
                messages.append(
                    _message(
                        f"URL route {route!r}: the serializer of {_name(view_class)} fails: {exc}",
                        id="simplejwt_rs.E013",
                    )
                )
                continue
            if not _serializer_is_ours(serializer) and not _project_import(serializer):
                messages.append(
                    _message(
                        f"URL route {route!r} ({_name(view_class)}) uses {_name(serializer)}, which is not built on "
                        "simplejwt_rs.serializers: tokens it handles skip the user policy and single-use rotation.",
                        hint="Route it with the serializer setting (left unset or naming ours), or subclass ours.",
                        id="simplejwt_rs.E013",
                    )
                )
        classes = getattr(view_class, "authentication_classes", ())
        if issubclass(view_class, APIView) and classes is not APIView.authentication_classes:
            for cls in initkwargs.get("authentication_classes", classes) or ():
                if _bypasses_authentication(cls) and not _project_import(cls):
                    messages.append(
                        _message(
                            f"URL route {route!r} ({_name(view_class)}) authenticates with {_name(cls)}, which "
                            "skips the user policy.",
                            hint="Use simplejwt_rs.authentication.JWTAuthentication (or subclass it).",
                            id="simplejwt_rs.E014",
                        )
                    )
    return messages


@register(Tags.security, Tags.urls)
@_unless_a_setting_is_unreadable
def check_cookies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The cookie transport for browser apps (docs/browser-apps.md): Secure cookies, and the CSRF middleware."""
    messages: list[CheckMessage] = []
    if not get("AUTH_COOKIE_SECURE") and not django_settings.DEBUG:
        messages.append(
            _message(
                "SIMPLE_JWT['AUTH_COOKIE_SECURE'] is False while DEBUG is off: the token cookies would be sent "
                "over plain HTTP, where anyone on the path can read them.",
                hint="Leave AUTH_COOKIE_SECURE at True (its default) and serve the site over HTTPS.",
                id="simplejwt_rs.E060",
            )
        )
    if get("AUTH_COOKIE_SAMESITE") == "None" and not get("AUTH_COOKIE_SECURE"):
        messages.append(
            _message(
                "SIMPLE_JWT['AUTH_COOKIE_SAMESITE'] is 'None' but AUTH_COOKIE_SECURE is False: browsers refuse a "
                "SameSite=None cookie that is not Secure, so nobody could log in.",
                hint="Set AUTH_COOKIE_SECURE to True, or AUTH_COOKIE_SAMESITE to 'Lax' (the default).",
                id="simplejwt_rs.E061",
            )
        )
    middleware = getattr(django_settings, "MIDDLEWARE", None) or ()
    if not any(_is_csrf_middleware(entry) for entry in middleware):
        for route, view_class, _initkwargs in _routed_views():
            if issubclass(view_class, views.CookieViewBase):
                messages.append(
                    _message(
                        f"URL route {route!r} ({_name(view_class)}) takes tokens from cookies, but "
                        "django.middleware.csrf.CsrfViewMiddleware is not in MIDDLEWARE: the CSRF cookie is "
                        "never renewed at login, and the project's other views accept cross-site requests.",
                        hint="Add 'django.middleware.csrf.CsrfViewMiddleware' to MIDDLEWARE.",
                        id="simplejwt_rs.E062",
                    )
                )
    return messages


def _is_csrf_middleware(entry: Any) -> bool:
    try:
        middleware = import_string(entry) if isinstance(entry, str) else entry
    except ImportError:
        return False
    return isinstance(middleware, type) and issubclass(middleware, CsrfViewMiddleware)


@register(Tags.security)
@_unless_a_setting_is_unreadable
def check_jwk_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Under JWK_URL, tokens minted here carry no ``kid``, so this very service refuses them."""
    algorithm = get("ALGORITHM")
    if not get("JWK_URL") or not isinstance(algorithm, str) or algorithm.startswith("HS"):
        return []  # HMAC never consults JWK_URL
    if _keys_or_none() != ():
        return []  # with KEYS the key set signs, and its tokens carry its kid (or KEYS is E008)
    try:
        can_sign = token_backend().codec.can_sign
    except (core_exc.JWTError, TokenBackendError, ValueError, TypeError):
        return []  # SIGNING_KEY cannot sign (None, or the SECRET_KEY default): nothing is minted
    if not can_sign:
        return []
    return [
        _message(
            f"SIMPLE_JWT['JWK_URL'] is set and SIGNING_KEY can sign {algorithm}: the tokens this service mints "
            "(obtain, refresh, sliding refresh) carry no 'kid' header, so its own authentication, verify and "
            "refresh refuse them.",
            hint="With JWK_URL this service only verifies the key set owner's tokens: set SIGNING_KEY to None and "
            "route no token obtain or refresh views. To issue tokens here, remove JWK_URL and set VERIFYING_KEY.",
            id="simplejwt_rs.E030",
        )
    ]


# --- SIMPLE_JWT["KEYS"]: a key set chosen by kid ----------------------------------------------------------

# JWK members that only a private (or secret) key has (RFC 7518 section 6).
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def _is_private(key: Any) -> bool:
    """A private key (PEM or JWK, as text or a mapping): what a verify-only server must never be handed."""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if isinstance(key, str):
        text = key.strip()
        if not text.startswith("{"):
            return "PRIVATE KEY-----" in text
        try:
            key = json.loads(text)
        except (ValueError, RecursionError):
            return False  # not a JWK: the core refuses it (E042)
    return isinstance(key, Mapping) and any(member in key for member in PRIVATE_JWK_MEMBERS)


def _minting_routes() -> list[str]:
    return [view.route for view in _routed_views() if issubclass(view.view_class, MINTING_VIEWS)]


def _jwks_routes() -> list[str]:
    return [view.route for view in _routed_views() if issubclass(view.view_class, views.JWKSView)]


@register(Tags.security, Tags.urls)
@_unless_a_setting_is_unreadable
def check_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """SIMPLE_JWT["KEYS"]: kids, which entry signs, keys that fit, what is handed to verify-only servers."""
    keys = _keys_or_none()
    if not keys or "ALGORITHM" in {name for name, _ in problems()}:
        return []  # not set, or E008
    messages: list[CheckMessage] = []
    algorithm = get("ALGORITHM")
    counts = Counter(entry["kid"] for entry in keys)
    duplicates = sorted(kid for kid, count in counts.items() if count > 1)
    if duplicates:
        messages.append(
            _message(
                f"SIMPLE_JWT['KEYS'] has the kid {', '.join(map(repr, duplicates))} more than once: a token's kid "
                "must name exactly one key, so this key set cannot be used.",
                hint="Give every entry its own kid (e.g. the date the key was made: '2026-11').",
                id="simplejwt_rs.E040",
            )
        )

    signers = [entry for entry in keys if entry.get("signing_key") is not None]
    minting = _minting_routes()
    if not signers and minting:
        messages.append(
            _message(
                f"No entry of SIMPLE_JWT['KEYS'] has a signing_key, but URL route {minting[0]!r} mints tokens "
                "(obtain or refresh): it cannot sign any.",
                hint="Give the entry that should sign a signing_key (the first entry with one signs), or route "
                "no obtain/refresh views in this verify-only service.",
                id="simplejwt_rs.E041",
            )
        )

    for entry in keys:
        kid = entry["kid"]
        entry_algorithm = entry.get("algorithm", algorithm)
        try:
            Codec(algorithm, None, None, keys=[entry])
        except (core_exc.JWTError, ValueError, TypeError, OverflowError) as exc:
            # The core's message names the kid and never the key material.
            messages.append(
                _message(
                    f"SIMPLE_JWT['KEYS'] entry {kid!r} cannot be used with {entry_algorithm}: {exc}",
                    hint="Give the entry a key of the algorithm's type (an RSA key for RS*/PS*, the curve for "
                    "ES*, Ed25519 for EdDSA, a secret for HS*), or set its 'algorithm'.",
                    id="simplejwt_rs.E042",
                )
            )
            continue
        if isinstance(entry_algorithm, str) and entry_algorithm in HMAC_MIN_BYTES:
            for member in ("signing_key", "verifying_key"):
                if entry.get(member) is not None:
                    messages.extend(
                        _short_secret(f"SIMPLE_JWT['KEYS'] entry {kid!r} {member}", entry_algorithm, entry[member])
                    )
        elif _is_private(entry.get("verifying_key")):
            messages.append(
                _message(
                    f"SIMPLE_JWT['KEYS'] entry {kid!r} has a private key as its verifying_key: a verify-only "
                    "entry is what is handed to every server that only verifies, so the private key would be too.",
                    hint="Give verifying_key the public key only (the SPKI PEM, or the JWK without 'd'); an entry "
                    "that signs takes the private key as signing_key.",
                    id="simplejwt_rs.E043",
                )
            )

    if get("JWK_URL") and isinstance(algorithm, str) and algorithm.startswith("HS"):
        messages.append(
            _message(
                f"SIMPLE_JWT['JWK_URL'] is set with KEYS, but ALGORITHM is {algorithm}: the JWK set is consulted "
                "only for an asymmetric ALGORITHM (its keys verify under ALGORITHM), so it is never fetched.",
                hint="Set ALGORITHM to the JWK set's algorithm and give the KEYS entries their own 'algorithm'.",
                id="simplejwt_rs.W045",
            )
        )

    jwks_routes = _jwks_routes()
    if jwks_routes and signers:
        signer = signers[0]
        signer_algorithm = signer.get("algorithm", algorithm)
        if isinstance(signer_algorithm, str) and signer_algorithm.startswith("HS"):
            messages.append(
                _message(
                    f"URL route {jwks_routes[0]!r} publishes the key set, but the entry that signs, "
                    f"{signer['kid']!r}, is {signer_algorithm}: an HMAC key is never published, so no one can "
                    "verify these tokens from the published set.",
                    hint="Sign with an asymmetric entry (RS256, ES256, EdDSA) to let other services verify.",
                    id="simplejwt_rs.W046",
                )
            )
    return messages


# --- another package's subclasses of upstream's classes (SIMPLE_JWT["PATCH_UPSTREAM_CLASSES"]) --------------

# Upstream's classes whose token paths PATCH_UPSTREAM_CLASSES routes through ours, and the methods routed:
# the patch's own list, so that the checks accept exactly what the patch routes.
UPSTREAM_BASES: dict[type, tuple[str, ...]] = {base: names for base, (_ours, names) in upstream_patch.ROUTED.items()}
OURS = tuple(ours for ours, _names in upstream_patch.ROUTED.values())
UPSTREAM_PACKAGES = ("rest_framework_simplejwt", "simplejwt_rs")


def _package(cls: Any) -> str:
    return str(getattr(cls, "__module__", "") or "?").split(".")[0]


def _upstream_base(cls: Any) -> type | None:
    """The upstream class of UPSTREAM_BASES that ``cls`` subclasses (None: none, or ``cls`` is ours)."""
    if not isinstance(cls, type) or issubclass(cls, OURS):
        return None
    return next((base for base in UPSTREAM_BASES if issubclass(cls, base)), None)


def _calls_on(code: Any, name: str) -> bool:
    """Whether a function's code can reach the next class's ``name``: it calls super(), or names ``name``."""
    names = set(code.co_names)
    if "super" in names or name in names:
        return True
    return any(_calls_on(const, name) for const in code.co_consts if hasattr(const, "co_names"))


def _override_without_super(cls: type, base: type) -> str | None:
    """``Class.method``: the definition of one of ``base``'s routed methods that runs for ``cls`` and never
    reaches a method the opt-in routes (so not ours either, even with the opt-in); upstream's own classes
    count too (its ``JWTStatelessUserAuthentication.get_user`` skips ours unless the patch routes it)."""
    for name in UPSTREAM_BASES[base]:
        for klass in cls.__mro__:
            if name not in klass.__dict__:
                continue
            if upstream_patch.routes(klass, name) or _package(klass) == "simplejwt_rs":
                break  # routed through ours, or ours
            func = klass.__dict__[name]
            func = getattr(func, "__func__", func)
            code = getattr(func, "__code__", None)
            if code is not None and not _calls_on(code, name):
                return f"{_name(klass)}.{name}"
            if code is None:
                break
            # It calls super(): the next definition in the MRO runs too.
    return None


def _inherits_ours(cls: Any) -> bool:
    """A subclass of upstream's classes that, with PATCH_UPSTREAM_CLASSES applied, reaches ours."""
    base = _upstream_base(cls)
    return base is not None and upstream_patch.applied() and _override_without_super(cls, base) is None


def _serializer_is_ours(serializer: Any) -> bool:
    """For E013: ours, or (with the opt-in) a serializer that inherits ours through upstream's."""
    return isinstance(serializer, type) and (issubclass(serializer, OUR_SERIALIZERS) or _inherits_ours(serializer))


def _classes_in_use() -> list[tuple[str, Any]]:
    """(where, class) for the authentication classes, serializers and token classes a request can reach."""
    found: list[tuple[str, Any]] = []
    drf = getattr(django_settings, "REST_FRAMEWORK", None) or {}
    for path in drf.get("DEFAULT_AUTHENTICATION_CLASSES", ()) if isinstance(drf, dict) else ():
        try:
            found.append(("REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES']", import_string(path)))
        except Exception:  # noqa: BLE001
            continue
    for route, view_class, initkwargs in _routed_views():
        if not issubclass(view_class, APIView):
            continue
        where = f"URL route {route!r} ({_name(view_class)})"
        for cls in initkwargs.get("authentication_classes", view_class.authentication_classes) or ():
            found.append((where, cls))
        serializer = initkwargs.get("serializer_class", getattr(view_class, "serializer_class", None))
        if issubclass(view_class, up_views.TokenViewBase):
            try:
                serializer = view_class(**initkwargs).get_serializer_class()
            except Exception:  # noqa: BLE001  (reported by E013)
                serializer = None
        if isinstance(serializer, type):
            found.append((where, serializer))
            token_class = getattr(serializer, "token_class", None)
            if isinstance(token_class, type):
                found.append((f"{where}, the token class of {_name(serializer)}", token_class))
    return found


@register(Tags.security, Tags.urls)
@_unless_a_setting_is_unreadable
def check_upstream_subclasses(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Another package's subclasses of upstream's classes, in use: without the opt-in they bypass ours."""
    messages: list[CheckMessage] = []
    patched = upstream_patch.applied()
    by_package: dict[str, dict[str, str]] = {}
    seen: set[Any] = set()
    for where, cls in _classes_in_use():
        package = _package(cls)
        if package in UPSTREAM_PACKAGES or cls in seen:
            continue  # upstream's own classes in use: E011, E012, E013, E014
        seen.add(cls)
        if (
            isinstance(cls, type)
            and issubclass(cls, up_tokens.Token)
            and not issubclass(cls, tokens.Token)
            and patched
            and issubclass(cls, up_tokens.BlacklistMixin)
        ):
            messages.append(
                _message(
                    f"{where}: {_name(cls)} subclasses upstream's {_name(cls.__mro__[1])}, not ours: even with "
                    "PATCH_UPSTREAM_CLASSES its tokens are validated on upstream's path, so a rotated refresh token "
                    "presented again is refused as blacklisted without revoking its family.",
                    hint="Subclass the simplejwt_rs.tokens class of the same name instead.",
                    id="simplejwt_rs.E022",
                )
            )
            continue
        base = _upstream_base(cls)
        if base is None:
            continue
        if not patched:
            if not _project_import(cls):  # the project's own class: E015 says which import to change
                # Keyed by the installed package whose class is built on upstream's (a class of yours may be
                # built on that package's): the opt-in is the fix, as no import of yours can change.
                owner = next(
                    (_package(k) for k in cls.__mro__ if _package(k) not in UPSTREAM_PACKAGES and _third_party(k)),
                    package,
                )
                by_package.setdefault(owner, {})[_name(cls)] = _name(base)
            continue
        override = _override_without_super(cls, base)
        if override is not None:
            messages.append(
                _message(
                    f"{where}: {override} overrides upstream's {_name(base)} method without calling super(), so "
                    "even with PATCH_UPSTREAM_CLASSES it skips the user policy and single-use rotation.",
                    hint="Call super() in the override, or build the class on simplejwt_rs's of the same name.",
                    id="simplejwt_rs.E021",
                )
            )
    for package, classes in sorted(by_package.items()):
        listed = ", ".join(f"{cls} (a {base})" for cls, base in sorted(classes.items()))
        messages.append(
            _message(
                f"The installed package {package!r} routes tokens through its subclasses of upstream's classes (or "
                f"yours built on them): {listed}. No settings line can point them at simplejwt_rs, so their "
                "requests skip the user policy (USER_AUTHENTICATION_RULE, deleted users, password changes) and "
                "single-use rotation with reuse detection.",
                hint="Set SIMPLE_JWT['PATCH_UPSTREAM_CLASSES'] = True: upstream's base classes then take these "
                "paths through simplejwt_rs (see the README's section on dj-rest-auth).",
                id="simplejwt_rs.E020",
            )
        )
    return messages


# --- the project's own classes built on upstream's (one import to change) --------------------------------------


def _source(cls: Any) -> Path | None:
    """The file that defines ``cls`` (None: defined in a shell, a script or generated code)."""
    file = getattr(sys.modules.get(getattr(cls, "__module__", "")), "__file__", None)
    try:
        return Path(file).resolve() if file else None
    except (OSError, RuntimeError, TypeError):
        return None


def _project_dir() -> Path:
    """BASE_DIR, as Django's project template sets it; else the working directory (where manage.py runs)."""
    base = getattr(django_settings, "BASE_DIR", None)
    try:
        return Path(base).resolve() if base else Path.cwd().resolve()
    except (OSError, RuntimeError, TypeError):
        return Path.cwd().resolve()


def _third_party(cls: Any) -> bool:
    """Whether ``cls`` comes from an installed package rather than the project's own code.

    Installed: in a site-packages (or Debian's dist-packages) directory; or outside the project directory and
    either inside the Python installation or virtualenv (``pip install -e`` checkouts under ``venv/src``) or a
    module an installed distribution provides.  Everything under the project directory is the project's.
    """
    path = _source(cls)
    if path is None:
        return False
    if {"site-packages", "dist-packages"} & set(path.parts):
        return True
    project = _project_dir()
    if path.is_relative_to(project):
        return False
    for prefix in {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}:
        if path.is_relative_to(prefix) and not project.is_relative_to(prefix):
            return True
    return _package(cls) in packages_distributions()


def _project_import(cls: Any) -> tuple[type, type, type] | None:
    """For a class of the project's own code built on one of upstream's classes that has a counterpart of ours
    (and not reaching ours through PATCH_UPSTREAM_CLASSES): (the project's class whose module imports upstream's,
    upstream's class, ours of the same name).  None otherwise."""
    if not isinstance(cls, type) or issubclass(cls, (*OURS, tokens.Token)) or upstream_patch.applied():
        return None  # (with the opt-in, E021/E022 say what still bypasses ours)
    for klass in cls.__mro__:
        if _package(klass) in UPSTREAM_PACKAGES or _third_party(klass):
            continue
        for base in klass.__bases__:
            ours = jwt_settings.counterpart(base) if _package(base) == "rest_framework_simplejwt" else base
            if ours is not base and isinstance(ours, type):
                return klass, base, ours
    return None


def _our_counterpart(cls: Any) -> type | None:
    """Our class of the same name as the first of upstream's classes ``cls`` is built on (the base to use)."""
    for klass in getattr(cls, "__mro__", ()):
        ours = jwt_settings.counterpart(klass) if _package(klass) == "rest_framework_simplejwt" else klass
        if ours is not klass and isinstance(ours, type):
            return ours
    return None


def _where(path: Path | None) -> str:
    if path is None:
        return "the module that defines it"
    project = _project_dir()
    return str(path.relative_to(project)) if path.is_relative_to(project) else str(path)


def _uses() -> list[tuple[str, Any]]:
    """(where, class) for every class a setting or route puts on a token path."""
    found: list[tuple[str, Any]] = []
    for setting in SERIALIZER_SETTINGS:
        path = get_ours(setting)
        try:
            found.append((f"SIMPLE_JWT[{setting!r}]", import_string(path) if isinstance(path, str) else path))
        except Exception:  # noqa: BLE001
            continue  # E010
    token_classes = jwt_settings.raw("AUTH_TOKEN_CLASSES")
    for entry in token_classes if isinstance(token_classes, (list, tuple)) else ():
        try:
            cls = import_string(entry) if isinstance(entry, str) else entry
            found.append(("SIMPLE_JWT['AUTH_TOKEN_CLASSES']", cls))
        except Exception:  # noqa: BLE001
            continue  # E012
    return found + _classes_in_use()


@register(Tags.security, Tags.urls)
@_unless_a_setting_is_unreadable
def check_project_imports(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E015: the project's own subclass of an upstream class, wherever it is used: one message, the import to change.

    (E010-E014 and E020 leave such classes to this check, so that one cause gives one message.)
    """
    # One message per import statement: (the module that imports, upstream's class it imports).
    by_import: dict[tuple[str, type], tuple[type, type, dict[str, None], dict[str, None]]] = {}
    for where, cls in _uses():
        found = _project_import(cls)
        if found is None:
            continue
        klass, base, ours = found
        _, _, classes, places = by_import.setdefault((klass.__module__, base), (klass, ours, {}, {}))
        classes[_name(cls)] = None
        places[where.split(" (")[0]] = None
    messages: list[CheckMessage] = []
    for (_, base), (klass, ours, classes, places) in by_import.items():
        module = _where(_source(klass))
        messages.append(
            _message(
                f"{', '.join(classes)} (your project's code) {'is' if len(classes) == 1 else 'are'} built on "
                f"upstream's {_name(base)}, so requests through {'it' if len(classes) == 1 else 'them'} skip the "
                f"user policy and single-use rotation. Used by {', '.join(places)}.",
                hint=f"In {module}, change `from {base.__module__} import {base.__name__}` to "
                f"`from {ours.__module__} import {ours.__name__}` (the same class, with our guarantees).",
                id="simplejwt_rs.E015",
            )
        )
    return messages


def _migrate_running() -> bool:
    """Whether Django's ``migrate`` command is what runs the checks (it passes ``databases`` too)."""
    frame = sys._getframe(1)
    while frame is not None:
        if isinstance(frame.f_locals.get("self"), MigrateCommand):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@register(Tags.database)
def check_migrations_applied(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W051 (``manage.py check --database ALIAS``): the token store's migrations not applied on that database.

    A warning, not an error, and not given while ``migrate`` itself runs the checks: it is about to apply them.
    """
    messages: list[CheckMessage] = []
    if _migrate_running():
        return messages
    for alias in databases or ():
        try:
            missing = store.unapplied_migrations(alias)
        except DatabaseError:  # the database cannot be reached: Django's own checks and commands say so
            continue
        if missing:
            messages.append(
                _message(
                    f"Database {alias!r} lacks the token store's tables: migration(s) {', '.join(missing)} "
                    "not applied. Refresh, logout and verify fail with a server error until they are.",
                    hint=f"Run: python manage.py migrate --database {alias}",
                    id="simplejwt_rs.W051",
                )
            )
    return messages
