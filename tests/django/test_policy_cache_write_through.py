"""POLICY_CACHE is written through on every ORM change the README promises (issue 19, item 3).

Each change is followed by the very next request under both authentication classes: the stateless one
(answered from the cache) must refuse (or allow) exactly as JWTAuthentication (which reads the user row)
does.  On Django's LocMemCache and on a real Redis (tests/django/test_policy_cache.py's fixtures).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simplejwt_rs import policy_cache
from simplejwt_rs.policy_cache import entries

from tests.django import test_policy_cache as base
from tests.django.cascade_app.models import Member, Organization
from tests.django.helpers import PASSWORD, code, me, simple_jwt
from tests.django.test_policy_cache import ROTATION, STATELESS, locked_rule, tokens

policy_cache_on = base.policy_cache_on
redis_server = base.redis_server


def members_rule(user):
    """Active, and in the 'members' group."""
    return user is not None and user.is_active and user.groups.filter(name="members").exists()


def permission_rule(user):
    """Active, and granted the 'use_api' permission directly."""
    return user is not None and user.is_active and user.user_permissions.filter(codename="use_api").exists()


def answers(api, token):
    """(status, code) from the stateless class (the cache) and from JWTAuthentication (the user row)."""
    stateless = api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {token}")
    full = me(api, token)
    return tuple((r.status_code, code(r) if r.status_code != 200 else None) for r in (stateless, full))


OK = ((200, None), (200, None))


def refused(code_):
    return ((401, code_), (401, code_))


def rule(fn):
    return simple_jwt(POLICY_CACHE="policy", USER_AUTHENTICATION_RULE=f"{__name__}.{fn.__name__}", **ROTATION)


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_deleting_a_group_the_rule_requires(policy_cache_on, user, api, how, django_capture_on_commit_callbacks):
    members = Group.objects.create(name="members")
    user.groups.add(members)
    with rule(members_rule):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        with django_capture_on_commit_callbacks(execute=True):
            if how == "instance":
                Group.objects.get(name="members").delete()  # the memberships go without m2m_changed
            else:
                Group.objects.filter(name="members").delete()
        # Once the deletion commits, the entry is the database's again: warm, no query.
        assert caches["policy"].get(policy_cache.user_key(user.pk)) == entries._state_from_db(user.pk)
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.status_code == 401 and code(response) == "user_inactive" and not ctx.captured_queries
        assert answers(api, access) == refused("user_inactive")


def test_deleting_a_group_the_rule_refuses(policy_cache_on, user, api, locked_group):
    with rule(locked_rule):
        access, _refresh = tokens(api)
        user.groups.add(locked_group)
        assert answers(api, access) == refused("account_locked")
        locked_group.delete()
        assert answers(api, access) == OK


def test_renaming_a_group_the_rule_reads(policy_cache_on, user, api):
    group = Group.objects.create(name="members")
    user.groups.add(group)
    with rule(members_rule):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        group.name = "former members"
        group.save()
        assert answers(api, access) == refused("user_inactive")


def test_a_permission_deleted_through_a_cascade(policy_cache_on, user, api):
    """Deleting a content type deletes its permissions, and with them users' grants (no m2m_changed)."""
    content_type = ContentType.objects.create(app_label="billing", model="invoice")
    use_api = Permission.objects.create(codename="use_api", name="Use the API", content_type=content_type)
    user.user_permissions.add(use_api)
    with rule(permission_rule):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        content_type.delete()
        assert answers(api, access) == refused("user_inactive")


def test_bulk_delete_of_users(policy_cache_on, user, api):
    User.objects.create_user("bob", password=PASSWORD)
    with simple_jwt(POLICY_CACHE="policy", **ROTATION):
        alice, bob = tokens(api)[0], tokens(api, "bob")[0]
        assert answers(api, alice) == OK and answers(api, bob) == OK
        User.objects.filter(username__in=["alice", "bob"]).delete()
        assert answers(api, alice) == refused("user_not_found")
        assert answers(api, bob) == refused("user_not_found")


def test_a_user_deleted_through_a_cascade(policy_cache_on, db, api):
    organization = Organization.objects.create(name="Acme")
    Member.objects.create_user("carol", password=PASSWORD, organization=organization)
    with simple_jwt(POLICY_CACHE="policy", **ROTATION):
        access, _refresh = tokens(api, "carol")
        assert answers(api, access) == OK
        organization.delete()  # its members' user rows go with it
        assert not User.objects.filter(username="carol").exists()
        assert answers(api, access) == refused("user_not_found")


def test_set_password_and_save_update_fields(policy_cache_on, user, api):
    with simple_jwt(POLICY_CACHE="policy", CHECK_REVOKE_TOKEN=True, **ROTATION):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        user.set_password("another one entirely")
        user.save(update_fields=["password"])
        assert answers(api, access) == refused("password_changed")


def test_queryset_update_then_forget_user(policy_cache_on, user, api):
    """QuerySet.update() sends no signal (README: The limits): forget_user is the one call that writes through."""
    with simple_jwt(POLICY_CACHE="policy", **ROTATION):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert answers(api, access)[1] == (401, "user_inactive")  # the user row: refused at once
        policy_cache.forget_user(user)
        assert answers(api, access) == refused("user_inactive")


def group_permission_rule(user):
    """Active, and granted 'use_api' through one of the user's groups (a rule reading a group's permissions)."""
    return user is not None and user.is_active and user.has_perm("billing.use_api")


@pytest.mark.parametrize("how", ["group remove", "group clear", "permission remove", "permission clear"])
def test_a_groups_permissions_changed(policy_cache_on, user, api, how):
    content_type = ContentType.objects.create(app_label="billing", model="invoice")
    use_api = Permission.objects.create(codename="use_api", name="Use the API", content_type=content_type)
    group = Group.objects.create(name="api users")
    group.permissions.add(use_api)
    user.groups.add(group)
    with rule(group_permission_rule):
        access, _refresh = tokens(api)
        assert answers(api, access) == OK
        if how == "group remove":
            group.permissions.remove(use_api)
        elif how == "group clear":
            group.permissions.clear()
        elif how == "permission remove":
            use_api.group_set.remove(group)
        else:
            use_api.group_set.clear()
        assert answers(api, access) == refused("user_inactive")
        use_api.group_set.add(group)
        assert answers(api, access) == OK
