"""System checks (``manage.py check``): a configuration that would switch a guarantee off is an error.

Registered by the app's ``ready()``.  Each message names the exact setting,
URL route or class at fault.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from rest_framework.views import APIView
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt import views as up_views
from rest_framework_simplejwt.exceptions import TokenBackendError

from . import authentication, serializers, store, tokens, upstream_patch
from . import exceptions as core_exc
from .backends import token_backend
from .settings import blacklist_installed, get, get_ours, problems

# RFC 7518 section 3.2: an HMAC key must be at least as long as the hash output.
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

# Each serializer setting, and the class of ours that a serializer named there must be (or subclass).
SERIALIZER_SETTINGS: dict[str, type] = {
    "TOKEN_OBTAIN_SERIALIZER": serializers.TokenObtainSerializer,
    "TOKEN_REFRESH_SERIALIZER": serializers.TokenRefreshSerializer,
    "TOKEN_VERIFY_SERIALIZER": serializers.TokenVerifySerializer,
    "TOKEN_BLACKLIST_SERIALIZER": serializers.TokenBlacklistSerializer,
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": serializers.TokenObtainSerializer,
    "SLIDING_TOKEN_REFRESH_SERIALIZER": serializers.TokenRefreshSlidingSerializer,
}
OUR_SERIALIZERS = tuple(set(SERIALIZER_SETTINGS.values()))
# Views that sign new tokens (obtain and refresh, pair and sliding).
MINTING_VIEWS = (
    up_views.TokenObtainPairView,
    up_views.TokenRefreshView,
    up_views.TokenObtainSlidingView,
    up_views.TokenRefreshSlidingView,
)


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


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Keys, rotation and the types of our settings."""
    messages: list[CheckMessage] = []
    algorithm = get("ALGORITHM")
    signing_key = get("SIGNING_KEY")

    for name, problem in problems():
        messages.append(
            Error(
                f"SIMPLE_JWT[{name!r}] {problem}; until it is fixed its default applies.",
                hint="See the README's table of the settings simplejwt-rs adds.",
                id="simplejwt_rs.E008",
            )
        )

    if algorithm in HMAC_MIN_BYTES:
        key = signing_key.encode() if isinstance(signing_key, str) else (signing_key or b"")
        if len(key) < HMAC_MIN_BYTES[algorithm]:
            messages.append(
                Warning(
                    f"SIMPLE_JWT['SIGNING_KEY'] is {len(key)} bytes; {algorithm} needs at least "
                    f"{HMAC_MIN_BYTES[algorithm]} to resist brute force.",
                    hint="Use a random key of at least the hash length, e.g. secrets.token_urlsafe(64).",
                    id="simplejwt_rs.W001",
                )
            )
    elif not get("VERIFYING_KEY") and not get("JWK_URL"):
        messages.append(
            Error(
                f"SIMPLE_JWT['ALGORITHM'] is {algorithm} but neither VERIFYING_KEY nor JWK_URL is set: "
                "no token can be verified.",
                hint="Set VERIFYING_KEY to the public key (PEM or JWK) matching SIGNING_KEY.",
                id="simplejwt_rs.E002",
            )
        )

    if get("BLACKLIST_AFTER_ROTATION") and not blacklist_installed():
        messages.append(
            Error(
                "SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] is on but rest_framework_simplejwt.token_blacklist "
                "is not in INSTALLED_APPS, so rotated refresh tokens stay usable.",
                hint="Add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS and migrate.",
                id="simplejwt_rs.E003",
            )
        )

    if get("ROTATE_REFRESH_TOKENS") and get("BLACKLIST_AFTER_ROTATION") and blacklist_installed():
        if get("JTI_CLAIM") is None:
            messages.append(
                Error(
                    "SIMPLE_JWT['JTI_CLAIM'] is None, so a rotated refresh token cannot be told apart from "
                    "another: single-use rotation and reuse detection are impossible.",
                    hint="Leave JTI_CLAIM at its default ('jti').",
                    id="simplejwt_rs.E005",
                )
            )
        elif store.reuse_detection() and not get("TOKEN_FAMILY_CLAIM"):
            messages.append(
                Warning(
                    "SIMPLE_JWT['TOKEN_FAMILY_CLAIM'] is None, so access tokens carry no family: verify cannot "
                    "refuse the access tokens of a revoked family (refresh tokens are still tracked).",
                    hint="Leave TOKEN_FAMILY_CLAIM at its default ('token_family').",
                    id="simplejwt_rs.W007",
                )
            )

    # With JWK_URL the verifying keys come from the set; a SIGNING_KEY left at SECRET_KEY is fine then.
    if not get("JWK_URL") and not any(message.id == "simplejwt_rs.E002" for message in messages):
        try:
            token_backend().codec  # noqa: B018  (building it prepares and validates the keys)
        except (core_exc.JWTError, TokenBackendError, ValueError, TypeError) as exc:
            messages.append(Error(f"SIMPLE_JWT keys cannot be used with {algorithm}: {exc}", id="simplejwt_rs.E004"))
    return messages


@register(Tags.security)
def check_classes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every class a setting names for a token path must be ours (upstream's are swapped for ours)."""
    messages: list[CheckMessage] = []
    for setting, ours in SERIALIZER_SETTINGS.items():
        path = get_ours(setting)
        try:
            cls = import_string(path) if isinstance(path, str) else path
        except ImportError as exc:
            messages.append(Error(f"SIMPLE_JWT[{setting!r}] cannot be imported: {exc}", id="simplejwt_rs.E010"))
            continue
        if not (isinstance(cls, type) and issubclass(cls, ours)):
            messages.append(
                Error(
                    f"SIMPLE_JWT[{setting!r}] is {_name(cls)}, which is not built on {_name(ours)}: "
                    "requests through it skip the user policy and single-use rotation.",
                    hint=f"Subclass {_name(ours)} instead.",
                    id="simplejwt_rs.E010",
                )
            )

    for cls in get_ours("AUTH_TOKEN_CLASSES"):
        cls = import_string(cls) if isinstance(cls, str) else cls
        if isinstance(cls, type) and issubclass(cls, up_tokens.Token) and not issubclass(cls, tokens.Token):
            messages.append(
                Error(
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
        except ImportError:
            continue  # DRF itself reports it at the first request
        if _bypasses_authentication(cls):
            messages.append(
                Error(
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
            Warning(
                f"SIMPLE_JWT['USER_ID_FIELD'] is {field_name!r}, which is not a unique field of the user model: "
                "a token whose id matches several users authenticates none of them, and an id given up by one "
                "user and taken by another hands the old user's tokens to the new one.",
                hint="Use the primary key or another unique, never reused field.",
                id="simplejwt_rs.W009",
            )
        )
    return messages


def _routes(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.extend(_routes(pattern.url_patterns, prefix + str(pattern.pattern)))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


@register(Tags.security, Tags.urls)
def check_routes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Routed views that would take a token past our serializers or our authentication."""
    messages: list[CheckMessage] = []
    try:
        routes = _routes(get_resolver().url_patterns)
    except Exception:  # noqa: BLE001  (a broken URLconf is Django's own check to report)
        return messages
    for route, callback in routes:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if not isinstance(view_class, type):
            continue
        initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
        if issubclass(view_class, MINTING_VIEWS) and get("JWK_URL"):
            messages.append(
                Error(
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
                    Error(
                        f"URL route {route!r}: the serializer of {_name(view_class)} fails: {exc}",
                        id="simplejwt_rs.E013",
                    )
                )
                continue
            if not _serializer_is_ours(serializer):
                messages.append(
                    Error(
                        f"URL route {route!r} ({_name(view_class)}) uses {_name(serializer)}, which is not built on "
                        "simplejwt_rs.serializers: tokens it handles skip the user policy and single-use rotation.",
                        hint="Route it with the serializer setting (left unset or naming ours), or subclass ours.",
                        id="simplejwt_rs.E013",
                    )
                )
        classes = getattr(view_class, "authentication_classes", ())
        if issubclass(view_class, APIView) and classes is not APIView.authentication_classes:
            for cls in initkwargs.get("authentication_classes", classes) or ():
                if _bypasses_authentication(cls):
                    messages.append(
                        Error(
                            f"URL route {route!r} ({_name(view_class)}) authenticates with {_name(cls)}, which "
                            "skips the user policy.",
                            hint="Use simplejwt_rs.authentication.JWTAuthentication (or subclass it).",
                            id="simplejwt_rs.E014",
                        )
                    )
    return messages


@register(Tags.security)
def check_jwk_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Under JWK_URL, tokens minted here carry no ``kid``, so this very service refuses them."""
    algorithm = get("ALGORITHM")
    if not get("JWK_URL") or not isinstance(algorithm, str) or algorithm.startswith("HS"):
        return []  # HMAC never consults JWK_URL
    try:
        can_sign = token_backend().codec.can_sign
    except (core_exc.JWTError, TokenBackendError, ValueError, TypeError):
        return []  # SIGNING_KEY cannot sign (None, or the SECRET_KEY default): nothing is minted
    if not can_sign:
        return []
    return [
        Error(
            f"SIMPLE_JWT['JWK_URL'] is set and SIGNING_KEY can sign {algorithm}: the tokens this service mints "
            "(obtain, refresh, sliding refresh) carry no 'kid' header, so its own authentication, verify and "
            "refresh refuse them.",
            hint="With JWK_URL this service only verifies the key set owner's tokens: set SIGNING_KEY to None and "
            "route no token obtain or refresh views. To issue tokens here, remove JWK_URL and set VERIFYING_KEY.",
            id="simplejwt_rs.E030",
        )
    ]


# --- another package's subclasses of upstream's classes (SIMPLE_JWT["PATCH_UPSTREAM_CLASSES"]) --------------

# Upstream's classes whose token paths PATCH_UPSTREAM_CLASSES routes through ours, and the methods routed.
UPSTREAM_BASES: dict[type, tuple[str, ...]] = {
    up_auth.JWTAuthentication: ("get_validated_token", "get_user"),
    up_serializers.TokenRefreshSerializer: ("validate",),
    up_serializers.TokenRefreshSlidingSerializer: ("validate",),
    up_serializers.TokenVerifySerializer: ("validate",),
    up_serializers.TokenBlacklistSerializer: ("validate",),
    up_serializers.TokenObtainSerializer: ("validate", "get_token"),
}
OURS = (authentication.JWTAuthentication, *OUR_SERIALIZERS, serializers.TokenObtainSerializer)
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
    """``Class.method`` of ``cls``'s own (not upstream's) overrides of ``base``'s routed methods that never
    reach ``base``'s method (so not ours either, even with the opt-in)."""
    for name in UPSTREAM_BASES[base]:
        for klass in cls.__mro__:
            if name not in klass.__dict__:
                continue
            if klass is base:
                break  # upstream's method, routed through ours
            func = klass.__dict__[name]
            func = getattr(func, "__func__", func)
            code = getattr(func, "__code__", None)
            if _package(klass) not in UPSTREAM_PACKAGES and code is not None and not _calls_on(code, name):
                return f"{_name(klass)}.{name}"
            break  # the first definition in the MRO is the one that runs
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
        except ImportError:
            continue
    try:
        routes = _routes(get_resolver().url_patterns)
    except Exception:  # noqa: BLE001  (a broken URLconf is Django's own check to report)
        routes = []
    for route, callback in routes:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
            continue
        initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
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
                Error(
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
            by_package.setdefault(package, {})[_name(cls)] = _name(base)
            continue
        override = _override_without_super(cls, base)
        if override is not None:
            messages.append(
                Error(
                    f"{where}: {override} overrides upstream's {_name(base)} method without calling super(), so "
                    "even with PATCH_UPSTREAM_CLASSES it skips the user policy and single-use rotation.",
                    hint="Call super() in the override, or build the class on simplejwt_rs's of the same name.",
                    id="simplejwt_rs.E021",
                )
            )
    for package, classes in sorted(by_package.items()):
        listed = ", ".join(f"{cls} (a {base})" for cls, base in sorted(classes.items()))
        messages.append(
            Error(
                f"The installed package {package!r} routes tokens through its own subclasses of upstream's classes: "
                f"{listed}. No settings line can point them at simplejwt_rs, so their requests skip the user policy "
                "(USER_AUTHENTICATION_RULE, deleted users, password changes) and single-use rotation with reuse "
                "detection.",
                hint="Set SIMPLE_JWT['PATCH_UPSTREAM_CLASSES'] = True: upstream's base classes then take these "
                "paths through simplejwt_rs (see the README's section on dj-rest-auth).",
                id="simplejwt_rs.E020",
            )
        )
    return messages
