"""``SIMPLE_JWT["PATCH_UPSTREAM_CLASSES"]``: upstream's base classes take their token paths through ours.

A package that subclasses upstream's classes (dj-rest-auth's
``JWTCookieAuthentication`` and ``CookieTokenRefreshSerializer``) cannot be
pointed at ours by a settings line, so without this its requests skip the
user policy at authenticate and single-use rotation with reuse detection at
refresh.  With the setting on, the app (when ready, and again whenever
``SIMPLE_JWT`` changes) replaces these upstream methods, so that every
subclass that does not override them, or calls ``super()``, inherits ours:

- ``JWTAuthentication``: ``get_header``, ``get_raw_token``,
  ``get_validated_token``, ``get_user``, ``authenticate_header``;
  ``JWTStatelessUserAuthentication`` (alias ``JWTTokenUserAuthentication``):
  its own ``get_user`` (with ``POLICY_CACHE``, the cached policy);
- the serializers' ``validate``: obtain (and ``get_token``, which records
  a login's session when called by code such as dj-rest-auth's login),
  obtain pair and sliding, refresh, sliding refresh, verify, blacklist (logout);
- the token classes: ``AccessToken(...)``, ``RefreshToken(...)``,
  ``SlidingToken(...)``, ``UntypedToken(...)`` construct ours (subclasses of
  upstream's, so ``isinstance`` holds), and their ``for_user`` mints ours;
  ``BlacklistMixin.blacklist`` (dj-rest-auth's logout) logs out through the
  store as ours does, for a project's own subclass of upstream's too.

:data:`ROUTED` (with :data:`TOKEN_ROUTES`) is the list of upstream's classes and methods replaced, read from
:mod:`simplejwt_rs.registry`: :func:`apply` patches exactly it, and the system checks (``checks.py``: E011,
E013, E014, E020, E021) read it, so that a class the opt-in does not route is
reported, not assumed safe.

Each replacement is a wrapper that, called on an instance of our own class,
runs upstream's original: our classes subclass upstream's, and a ``super()``
call from ours must reach upstream's code, not loop back into ours.  Patching
is idempotent and reversible (:func:`remove` restores every original).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens

from . import registry, sessions, tokens
from . import settings as jwt_settings

SETTING = "PATCH_UPSTREAM_CLASSES"


# Everything below is registry.PAIRS' ``routed`` column, resolved.
_TOKENS = f"{registry.UPSTREAM}.tokens."
# Upstream's token classes and ours: constructing upstream's builds ours (and their for_user mints ours).
TOKEN_CLASSES: dict[type[up_tokens.Token], type[tokens.Token]] = {
    registry.resolve(pair.upstream): registry.resolve(pair.ours) for pair in registry.PAIRS if "for_user" in pair.routed
}
# The token classes' attributes replaced: Token.__new__ (constructs ours), each class's for_user (mints ours),
# BlacklistMixin.blacklist (logs out through the store as ours does).
TOKEN_ROUTES: dict[type, tuple[type, tuple[str, ...]]] = {
    registry.resolve(pair.upstream): (registry.resolve(pair.ours), pair.routed)
    for pair in registry.PAIRS
    if pair.routed and pair.upstream.startswith(_TOKENS)
}

# The one list: upstream class -> (ours, the methods of upstream's class's own __dict__ that ours replace).
# apply() patches exactly these (and the token classes above); checks.py derives what it accepts from it.
ROUTED: dict[type, tuple[type, tuple[str, ...]]] = {
    registry.resolve(pair.upstream): (registry.resolve(pair.ours), pair.routed)
    for pair in registry.PAIRS
    if pair.routed and not pair.upstream.startswith(_TOKENS)
}
AUTHENTICATION_METHODS = ROUTED[up_auth.JWTAuthentication][1]
# Upstream's serializers whose validate() runs one of ours (sharing the caller's context and token class).  Not
# obtain's: its validate sets ``self.user``, which the caller's own validate then reads, and the pair and sliding
# ones call the instance's get_token (a project's override adds claims): ours runs on upstream's instance.
SERIALIZERS: dict[type, type] = {
    upstream_cls: ours
    for upstream_cls, (ours, names) in ROUTED.items()
    if upstream_cls.__module__ == up_serializers.__name__
    and not issubclass(upstream_cls, up_serializers.TokenObtainSerializer)
}


def routes(owner: type, name: str) -> bool:
    """Whether the opt-in replaces ``owner.name`` (the method defined in ``owner``'s own body) with ours."""
    entry = ROUTED.get(owner)
    token_entry = TOKEN_ROUTES.get(owner)
    return (entry is not None and name in entry[1]) or (token_entry is not None and name in token_entry[1])


_ABSENT = object()
# (class, attribute) -> what the class's own __dict__ held before patching (or _ABSENT).
_originals: dict[tuple[type, str], Any] = {}


def our_token_class(cls: Any) -> Any:
    """Ours for one of upstream's own token classes; anything else (ours, a project's) unchanged."""
    return TOKEN_CLASSES.get(cls, cls)


def _set(owner: type, name: str, value: Any) -> None:
    key = (owner, name)
    if key not in _originals:
        _originals[key] = owner.__dict__.get(name, _ABSENT)
    setattr(owner, name, value)


def _routed(upstream_cls: type, name: str, ours: type, replacement: Callable[..., Any]) -> Callable[..., Any]:
    """``replacement`` for ``upstream_cls.name``, except on instances of ``ours`` (then upstream's original)."""
    original = upstream_cls.__dict__[name]

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, ours):
            # Reached through super() from our own class: behave as upstream's method did.
            return original(self, *args, **kwargs)
        return replacement(self, *args, **kwargs)

    method.__simplejwt_rs_routed__ = True  # type: ignore[attr-defined]
    return method


def _delegate_validate(ours: type) -> Callable[..., Any]:
    """``validate`` run by a serializer of ours that shares the caller's context and (our) token class."""

    def validate(self: Any, attrs: Any) -> Any:
        delegate = ours(context=self.context)
        token_class = getattr(self, "token_class", None)
        if token_class is not None:
            delegate.token_class = our_token_class(token_class)
        return delegate.validate(attrs)

    return validate


def _token_new(cls: type[up_tokens.Token], *args: Any, **kwargs: Any) -> Any:
    """``upstream.RefreshToken(...)`` builds our RefreshToken (a subclass, so Python then runs its __init__)."""
    return object.__new__(TOKEN_CLASSES.get(cls, cls))


def _plain_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """What ``upstream.Token(...)`` did before: CPython cannot take a ``__new__`` back once one was set
    (deleting it leaves ``object.__new__`` refusing the constructor's arguments), so removal installs this."""
    return object.__new__(cls)


def _token_for_user(original: Any) -> classmethod:
    @functools.wraps(original.__func__)
    def for_user(cls: type[up_tokens.Token], user: Any) -> Any:
        if cls in TOKEN_CLASSES:
            return TOKEN_CLASSES[cls].for_user(user)
        return original.__get__(None, cls)(user)  # a project's subclass of upstream's class: upstream's path

    for_user.__simplejwt_rs_routed__ = True  # type: ignore[attr-defined]
    return classmethod(for_user)


def _get_token(original: Any) -> classmethod:
    @functools.wraps(original.__func__)
    def get_token(cls: type[up_serializers.TokenObtainSerializer], user: Any) -> Any:
        token = our_token_class(cls.token_class).for_user(user)
        sessions.minted_for_login(user, token, cls)  # dj-rest-auth's login calls get_token: it is a login
        return token

    get_token.__simplejwt_rs_routed__ = True  # type: ignore[attr-defined]
    return classmethod(get_token)


def _replacement(upstream_cls: type, ours: type, name: str) -> Any:
    """What replaces ``upstream_cls.name`` (one entry of :data:`ROUTED`)."""
    if name == "get_token":
        return _get_token(upstream_cls.__dict__[name])
    if upstream_cls in SERIALIZERS:
        return _routed(upstream_cls, name, ours, _delegate_validate(ours))
    # Authentication, and obtain's validate: our own method, run on upstream's (or a subclass's) instance.
    return _routed(upstream_cls, name, ours, ours.__dict__[name])


def applied() -> bool:
    """Whether upstream's classes are routed through ours right now."""
    return bool(_originals)


def apply() -> None:
    """Route upstream's token paths through ours (idempotent)."""
    if applied():
        return
    for upstream_cls, (ours, names) in ROUTED.items():
        for name in names:
            _set(upstream_cls, name, _replacement(upstream_cls, ours, name))

    for upstream_cls, (ours, names) in TOKEN_ROUTES.items():
        for name in names:
            if name == "__new__":
                _set(upstream_cls, name, staticmethod(_token_new))
            elif name == "for_user":
                # for_user lives on upstream's BlacklistMixin or Token; set it on each concrete class.
                original = next(k.__dict__[name] for k in upstream_cls.__mro__ if name in k.__dict__)
                _set(upstream_cls, name, _token_for_user(original))
            elif name in upstream_cls.__dict__:
                # BlacklistMixin.blacklist: upstream defines it only if its blacklist app was installed when its
                # tokens module was imported.
                _set(upstream_cls, name, _routed(upstream_cls, name, ours, ours.__dict__[name]))


def remove() -> None:
    """Put every upstream original back (idempotent)."""
    while _originals:
        (owner, name), original = _originals.popitem()
        if original is _ABSENT and name == "__new__":
            setattr(owner, name, staticmethod(_plain_new))
        elif original is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


def sync() -> None:
    """Patched exactly when the setting is on (run when ready and whenever SIMPLE_JWT changes)."""
    if jwt_settings.get(SETTING):
        apply()
    else:
        remove()


jwt_settings.on_change(sync)
