"""The policy cache's write-through: the receivers of every change that matters, connected at ready (apps.py).

A user saved (password changes included) or deleted, a user's groups or permissions changed (from either
side, a group renamed or deleted), a family revoked, a user's tokens revoked (the store's revocation hook,
:func:`~simplejwt_rs.store.on_revocation`: the store imports no cache).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from .. import store
from ..policy import DELETED_VERDICT
from ..settings import get
from . import near
from .breaker import rewrite, write
from .entries import enabled, encode, family_key, settings_changed, ttl, user_key


def families_revoked(families: Iterable[Any]) -> None:
    """Write through: these families are revoked (called by the store once they are in the database)."""
    if enabled():
        write({family_key(family): True for family in families}, ttl())


def user_tokens_revoked(user: Any, now: float | None = None) -> None:
    """Write through: the user's mark moved (in the database, by the store); the entry follows once it commits.

    Deleted at once too, so that this process's next request (in the transaction, if one is open) fills
    it from the database; other servers' fills before the commit are overwritten by
    :func:`~simplejwt_rs.policy_cache.breaker.rewrite`.
    """
    forget_user(user)


def _user_id(user: Any) -> str:
    return str(getattr(user, get("USER_ID_FIELD")))


def forget_user(user: Any) -> None:
    """Write the user's current state through now and once the transaction commits.

    The one call for a change no signal reports: ``QuerySet.update()``, ``bulk_update()``, raw SQL, a
    related model the rule reads.  Without ``POLICY_CACHE`` it does nothing, so it is safe to call always.
    """
    if enabled():
        _forget([_user_id(user)])


def _forget(user_ids: list[str]) -> None:
    """Delete these users' entries now; rewrite each from the database once the transaction commits."""
    if not user_ids:
        return
    write({user_key(user_id): None for user_id in user_ids}, ttl())
    transaction.on_commit(functools.partial(_rewrite_all, user_ids))


def _rewrite_all(user_ids: list[str]) -> None:
    for user_id in user_ids:
        rewrite(user_id)


# --- signals ------------------------------------------------------------------------------------------


def _is_user_model(sender: Any) -> bool:
    try:
        return sender is get_user_model()
    except Exception:  # noqa: BLE001  (no user model yet: nothing to write through)
        return False


def _pre_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A USER_ID_FIELD that is not the primary key may change: the old id's entry must go too.
    if not enabled() or not _is_user_model(sender) or instance.pk is None or kwargs.get("raw"):
        return
    name = get("USER_ID_FIELD")
    if name == sender._meta.pk.name:
        return
    old = sender._default_manager.filter(pk=instance.pk).values_list(name, flat=True).first()
    if old is not None and str(old) != str(getattr(instance, name)):
        write({user_key(old): None}, ttl())


def _post_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not enabled() or kwargs.get("raw"):
        return
    if _is_user_model(sender):
        forget_user(instance)
    elif not kwargs.get("created"):  # a group renamed: a rule may read its name
        _forget(_member_ids(sender, [instance.pk]))


@functools.cache
def _membership_lookups(model: Any, user_model: Any) -> tuple[str, ...]:
    """The lookups from the user model to ``model`` through an auto-created many-to-many table (``groups``,
    ``user_permissions``, a ``members`` field of the project's): rows Django deletes without a signal."""
    if model is user_model:
        return ()
    found = []
    for field in user_model._meta.many_to_many:  # the user's side: User.groups, User.user_permissions
        if field.remote_field.model is model and field.remote_field.through._meta.auto_created:
            found.append(field.name)
    for field in model._meta.many_to_many:  # the other side: e.g. Team.members = ManyToManyField(User)
        if field.remote_field.model is user_model and field.remote_field.through._meta.auto_created:
            found.append(field.related_query_name())
    return tuple(found)


def _member_ids(sender: Any, pks: Iterable[Any]) -> list[str]:
    """The ``USER_ID_FIELD`` values of the users linked by a many-to-many table to the ``sender`` rows ``pks``."""
    try:
        User = get_user_model()
    except Exception:  # noqa: BLE001  (no user model yet: nothing to write through)
        return []
    model = getattr(getattr(sender, "_meta", None), "concrete_model", None)
    pks = [pk for pk in pks if pk is not None]
    lookups = _membership_lookups(model, User) if model is not None and pks else ()
    if not lookups:
        return []
    members = models.Q()
    for lookup in lookups:
        members |= models.Q(**{f"{lookup}__in": pks})
    ids = User._default_manager.filter(members).values_list(get("USER_ID_FIELD"), flat=True).distinct()
    return [str(user_id) for user_id in ids]


def _linked_pks(through: Any, instance: Any, model: Any) -> list[Any]:
    """The ``model`` rows a many-to-many table (``through``) links to ``instance`` now."""
    relations = [f for f in through._meta.fields if f.is_relation]
    mine = [f for f in relations if f.related_model is type(instance)._meta.concrete_model]
    other = [f for f in relations if f.related_model is model._meta.concrete_model]
    if len(mine) != 1 or len(other) != 1 or mine[0] is other[0]:
        return []  # self-referential (or unusual) tables: only the instance's own members are known
    rows = through._default_manager.filter(**{mine[0].attname: instance.pk})
    return list(rows.values_list(other[0].attname, flat=True))


def _linked_changed(sender: Any, instance: Any, action: str, model: Any, pk_set: Any) -> None:
    """A many-to-many between two models users are linked to changed (a group's permissions, from either
    side): the members of both ends are written through."""
    if action == "pre_clear":  # post_clear names nobody: look while the rows are there (inside clear()'s atomic)
        linked = _membership_lookups(model._meta.concrete_model, get_user_model())
        pk_set = _linked_pks(sender, instance, model) if linked else ()
    elif action not in ("post_add", "post_remove"):
        return
    _forget(sorted({*_member_ids(type(instance), [instance.pk]), *_member_ids(model, pk_set or ())}))


def _pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A group (a permission, any model users are linked to) deleted, directly or by a cascade: Django
    deletes the membership rows without ``m2m_changed``, so its members are written through here, while
    the rows can still be read (and once the deletion commits)."""
    if enabled() and not _is_user_model(sender):
        _forget(_member_ids(sender, [instance.pk]))


def _post_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if enabled() and _is_user_model(sender):
        user_id = _user_id(instance)
        write({user_key(user_id): encode(DELETED_VERDICT)}, ttl())
        transaction.on_commit(lambda: rewrite(user_id))


def _m2m_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A user's groups or permissions changed (from either side): the rule may read them."""
    if not enabled():
        return
    User = get_user_model()
    if isinstance(instance, User):
        if action in ("post_add", "post_remove", "post_clear"):
            forget_user(instance)
        return
    model: Any = kwargs.get("model")  # Any, not Optional: `is not` would narrow User to it
    if model is not User:
        _linked_changed(sender, instance, action, model, pk_set)
        return
    if action == "pre_clear":  # group.user_set.clear(): post_clear names nobody, so look now
        accessor = getattr(instance, "_simplejwt_rs_cleared", None)
        if accessor is None:
            field = next(f for f in sender._meta.get_fields() if getattr(f, "related_model", None) is User)
            other = next(f for f in sender._meta.get_fields() if f.is_relation and f.related_model is type(instance))
            ids = sender._default_manager.filter(**{other.name: instance}).values_list(field.attname, flat=True)
            instance._simplejwt_rs_cleared = list(ids)
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_simplejwt_rs_cleared", None) or ()
        instance.__dict__.pop("_simplejwt_rs_cleared", None)
    elif action not in ("post_add", "post_remove"):
        return
    for user in User._default_manager.filter(pk__in=list(pk_set or ())):
        forget_user(user)


def _revoked(families: Callable[[], Iterable[str]], user: Any) -> None:
    """The store's revocation hook: the user's mark moved (``user``), these families are revoked.  The
    families are listed only when the cache is on (the listing may be a query)."""
    if not enabled():
        return
    if user is not None:
        user_tokens_revoked(user)
    families_revoked(families())


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch_uid); called by ``AppConfig.ready()``."""
    uid = "simplejwt_rs.policy_cache."
    setting_changed.connect(settings_changed, dispatch_uid=uid + "settings_changed")
    setting_changed.connect(near.settings_changed, dispatch_uid=uid + "near_settings_changed")
    post_save.connect(_post_save, dispatch_uid=uid + "post_save")
    pre_save.connect(_pre_save, dispatch_uid=uid + "pre_save")
    post_delete.connect(_post_delete, dispatch_uid=uid + "post_delete")
    pre_delete.connect(_pre_delete, dispatch_uid=uid + "pre_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid=uid + "m2m_changed")
    store.on_revocation(_revoked)
