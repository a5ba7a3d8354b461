"""POLICY_NEAR_CACHE_USERS: the near cache keeps JWTAuthentication's user row next to the user's verdict.

A warm request reads no row (no SQL; in async code no sync_to_async hop), and whatever drops the verdict drops
the row: a write-through (a save), another server's write, the channel dropping, the breaker.  What no signal
reports (``QuerySet.update()``) is seen after ``forget_user`` or the age bound: the documented trade-off.
On a real Redis (the throwaway redis-server of tests/django/test_policy_cache.py).
"""

from __future__ import annotations

import time

import pytest
import redis as redis_py
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import AuthenticationFailed
from simplejwt_rs import policy_cache
from simplejwt_rs.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from simplejwt_rs.ninja import AsyncJWTAuth, Refused
from simplejwt_rs.policy_cache import entries, lookup, near

from tests.django import test_ninja as ninja_tests
from tests.django import test_policy_cache as base
from tests.django.helpers import simple_jwt

redis_server = base.redis_server
policy_cache_on = base.policy_cache_on
hops = ninja_tests.hops
NEAR = pytest.mark.parametrize("policy_cache_on", ["near"], indirect=True)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def rows(policy_cache_on):
    """The near cache on Redis with POLICY_NEAR_CACHE_USERS, its channel up."""
    with simple_jwt(POLICY_CACHE="policy", POLICY_NEAR_CACHE_USERS=True, **base.ROTATION):
        assert near.current().wait_up(10)
        yield near.current()


@pytest.fixture
def other_server(policy_cache_on):
    cache = caches.create_connection("policy")
    yield cache
    cache.close()


def claims_of(user, family="fam-rows"):
    return {"user_id": str(user.pk), "iat": int(time.time()), entries.remember().family_claim: family}


def get_user(claims):
    with CaptureQueriesContext(connection) as ctx:
        found = JWTAuthentication().get_user(claims)
    return found, len(ctx.captured_queries)


def warm(claims):
    """Until the row is kept (cold: filled; then read from Redis with the row; then kept): the queries made."""
    made = []
    for _ in range(3):
        made.append(get_user(claims)[1])
    return made


@NEAR
def test_a_warm_request_reads_no_row(rows, user):
    claims = claims_of(user)
    assert warm(claims)[-1] == 0
    first, queries = get_user(claims)
    second, _ = get_user(claims)
    assert queries == 0
    assert first == user and first.username == "alice" and first.check_password(base.PASSWORD)
    assert first is not second and first._state.db == "default" and not first._state.adding
    first.first_name = "changed in one request"
    assert get_user(claims)[0].first_name == ""  # each request its own instance
    assert isinstance(rows.get([policy_cache.user_key(user.pk)])[policy_cache.user_key(user.pk)], lookup.KeptUser)


@NEAR
def test_off_by_default_the_row_is_read(policy_cache_on, user):
    claims = claims_of(user)
    warm(claims)
    assert get_user(claims)[1] >= 1


@NEAR
def test_a_saved_change_is_seen_by_the_next_request(rows, user):
    claims = claims_of(user)
    warm(claims)
    assert get_user(claims)[0].is_staff is False
    user.is_staff = True
    user.save()  # the write-through deletes the entry: the invalidation drops the kept row
    assert get_user(claims)[0].is_staff is True
    warm(claims)
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed) as refused:
        get_user(claims)
    assert refused.value.get_codes() == "user_inactive"


@NEAR
def test_another_servers_write_drops_the_row(rows, user, other_server):
    claims = claims_of(user)
    warm(claims)
    # JWTAuthentication judges the row itself (the cache adds the mark and the family): the write drops the
    # kept row, which is read again, then kept again.
    other_server.set(policy_cache.user_key(user.pk), entries.state_of(user), 300)
    assert get_user(claims)[1] >= 1
    assert get_user(claims)[1] == 0
    other_server.set(policy_cache.family_key("fam-rows"), True, 300)
    with pytest.raises(AuthenticationFailed) as refused:
        get_user(claims)
    assert refused.value.get_codes() == "token_family_revoked"


@NEAR
def test_an_update_without_signal_is_seen_after_forget_user(rows, user):
    """The trade-off: QuerySet.update() sends no signal; the kept row is the old one until forget_user()."""
    claims = claims_of(user)
    warm(claims)
    User.objects.filter(pk=user.pk).update(first_name="updated")
    assert get_user(claims)[0].first_name == ""
    policy_cache.forget_user(user)
    assert get_user(claims)[0].first_name == "updated"


@NEAR
def test_a_killed_channel_drops_the_rows(rows, user, redis_server):
    claims = claims_of(user)
    warm(claims)
    admin = redis_py.Redis.from_url(redis_server.url)
    try:
        channel = [c for c in admin.client_list() if c["name"] == "simplejwt_rs-near-cache"]
        admin.client_kill_filter(_id=channel[0]["id"])
    finally:
        admin.close()
    assert get_user(claims)[1] >= 1  # the socket found closed: everything dropped, the row read
    assert not rows.entries


@NEAR
def test_the_age_bound_drops_the_row(policy_cache_on, user):
    with simple_jwt(
        POLICY_CACHE="policy", POLICY_NEAR_CACHE_USERS=True, POLICY_NEAR_CACHE_SECONDS=0.2, **base.ROTATION
    ):
        assert near.current().wait_up(10)
        claims = claims_of(user)
        assert warm(claims)[-1] == 0
        time.sleep(0.25)
        assert get_user(claims)[1] >= 1


@NEAR
def test_a_password_change_is_refused_naming_the_user(rows, user):
    with simple_jwt(POLICY_CACHE="policy", POLICY_NEAR_CACHE_USERS=True, CHECK_REVOKE_TOKEN=True, **base.ROTATION):
        assert near.current().wait_up(10)
        claims = {**claims_of(user), "hash_password": "not this password's"}
        for _ in range(3):
            with pytest.raises(AuthenticationFailed) as refused:
                get_user(claims)
            assert refused.value.get_codes() == "password_changed"


# --- async: no hop on a kept row ------------------------------------------------------------------------


def _request(access):
    return ninja_tests._request(access)


ninja_urls = pytest.mark.urls("tests.django.urls_ninja")


@ninja_urls
@NEAR
def test_async_row_readers_make_no_hop_when_warm(rows, user, client, hops):
    access = ninja_tests.pair(client)["access"]
    auth = AsyncJWTAuth()
    for _ in range(3):
        assert async_to_sync(auth)(_request(access)) == user
    for _ in range(3):
        hops.clear()
        found = async_to_sync(auth)(_request(access))
        assert found == user and found.username == "alice"
        assert async_to_sync(JWTAuthentication().aauthenticate)(_request(access))[0] == user
        assert hops == []
    user.is_active = False
    user.save()
    with pytest.raises(Refused) as refused:
        async_to_sync(auth)(_request(access))  # the row was dropped: the sync path refuses, one hop
    assert refused.value.body["code"] == "user_inactive"


@ninja_urls
@NEAR
def test_async_refusal_from_a_kept_row_makes_no_hop(rows, user, client, hops, other_server):
    """A token of a revoked family, its user's row kept (warmed by a token of another family): refused in
    the event loop."""
    revoked, kept = ninja_tests.pair(client)["access"], ninja_tests.pair(client)["access"]
    claims = JWTStatelessUserAuthentication().get_validated_token(revoked.encode()).payload
    other_server.set(policy_cache.family_key(entries.token_family(claims)), True, 300)
    auth = AsyncJWTAuth()
    for _ in range(3):
        assert async_to_sync(auth)(_request(kept)) == user
    with pytest.raises(AuthenticationFailed):
        JWTAuthentication().get_user(claims)  # the revoked family now kept near too
    hops.clear()
    with pytest.raises(Refused) as refused:
        async_to_sync(auth)(_request(revoked))
    assert refused.value.body["code"] == "token_family_revoked"
    assert hops == []


def test_a_setting_of_the_wrong_type_is_e008(db):
    with simple_jwt(POLICY_NEAR_CACHE_USERS="yes"):
        ids = {message.id for message in run_checks()}
    assert "simplejwt_rs.E008" in ids
