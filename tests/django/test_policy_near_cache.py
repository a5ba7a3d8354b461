"""The policy cache's near cache (policy_cache/near.py): each process's copy of the entries, kept coherent by
Redis's invalidations (RESP3 client tracking, BCAST).  On a real Redis (the throwaway redis-server of
tests/django/test_policy_cache.py); "another server" is a second connection of its own to that Redis.
"""

from __future__ import annotations

import time

import pytest
import redis as redis_py
from django.contrib.auth.models import User
from django.core.cache import caches
from simplejwt_rs import policy_cache
from simplejwt_rs.errors import INACTIVE, TokenFamilyRevoked, UserRefused
from simplejwt_rs.policy import Verdict
from simplejwt_rs.policy_cache import breaker, entries, near

from tests.django import test_policy_cache as base
from tests.django.helpers import simple_jwt

policy_cache_on = base.policy_cache_on
redis_server = base.redis_server
NEAR = pytest.mark.parametrize("policy_cache_on", ["near"], indirect=True)


@pytest.fixture
def admin(redis_server):
    client = redis_py.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def other_server(policy_cache_on):
    """The policy cache as another server reaches it: its own backend object, its own connections."""
    cache = caches.create_connection("policy")
    yield cache
    cache.close()


def claims_of(user, family=None):
    claims = {"user_id": str(user.pk), "iat": int(time.time())}
    if family is not None:
        claims[entries.remember().family_claim] = family
    return claims


def mgets(admin):
    return int(admin.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


def refused(claims):
    try:
        policy_cache.check(claims)
    except (UserRefused, TokenFamilyRevoked):
        return True
    return False


@NEAR
def test_warm_lookups_make_no_round_trip(policy_cache_on, user, admin):
    claims = claims_of(user, "fam-1")
    for _ in range(3):  # cold (filled), read from Redis, then kept near
        policy_cache.check(claims)
    before = mgets(admin)
    for _ in range(50):
        assert policy_cache.check(claims) is None
    assert mgets(admin) == before
    assert near.current().get([policy_cache.user_key(user.pk), policy_cache.family_key("fam-1")]) is not None


@NEAR
def test_another_servers_write_is_seen_by_the_very_next_lookup(policy_cache_on, user, other_server, admin):
    """200 changes made through "another server": each refused by the very next lookup here, which was
    answering from its near copy just before."""
    key, family = policy_cache.user_key(user.pk), "fam-2"
    allowed = entries.state_of(user)
    inactive = entries.encode(Verdict(INACTIVE))
    claims = claims_of(user)
    near_hits = 0
    for _ in range(200):
        other_server.set(key, allowed, 300)
        assert not refused(claims)
        before = mgets(admin)
        assert not refused(claims)  # from the near copy
        near_hits += mgets(admin) == before
        other_server.set(key, inactive, 300)
        assert refused(claims)
    assert near_hits == 200
    other_server.set(key, allowed, 300)
    with_family = claims_of(user, family)
    other_server.set(policy_cache.family_key(family), False, 300)
    assert not refused(with_family) and not refused(with_family)
    other_server.set(policy_cache.family_key(family), True, 300)
    assert refused(with_family)


@NEAR
def test_a_killed_channel_drops_the_near_cache(policy_cache_on, user, other_server, admin):
    key = policy_cache.user_key(user.pk)
    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    current = near.current()
    assert current.entries
    channel = [c for c in admin.client_list() if c["name"] == "simplejwt_rs-near-cache"]
    assert len(channel) == 1
    admin.client_kill_filter(_id=channel[0]["id"])
    # Killed: the next lookup finds the socket closed, drops every entry and reads Redis.
    before = mgets(admin)
    assert not refused(claims)
    assert mgets(admin) == before + 1 and not current.entries
    other_server.set(key, entries.encode(Verdict(INACTIVE)), 300)  # while the channel is down
    assert refused(claims)
    assert current.wait_up(10)  # back: used again
    other_server.set(key, entries.state_of(user), 300)
    policy_cache.check(claims)
    policy_cache.check(claims)
    before = mgets(admin)
    policy_cache.check(claims)
    assert mgets(admin) == before


@NEAR
def test_a_read_that_raced_an_invalidation_is_not_kept(policy_cache_on, user, other_server):
    key = policy_cache.user_key(user.pk)
    current = near.current()
    old = entries.state_of(user)
    ticket = current.ticket()  # a read begins...
    other_server.set(key, entries.encode(Verdict(INACTIVE)), 300)  # ...a write lands...
    current.put({key: old}, ticket)  # ...the read's (older) value comes back: not kept
    assert current.get([key]) is None
    ticket = current.ticket()
    current.put({key: old}, ticket)  # nothing since: kept
    assert current.get([key]) == {key: old}


@NEAR
def test_a_flush_empties_it(policy_cache_on, user, admin):
    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    assert near.current().entries
    admin.flushall()
    # Redis queues a flush's invalidation while the command runs, before the reply to it, but may write it
    # to the socket just after that reply (unlike a key's, which a BCAST client gets first): it is applied
    # within moments, not necessarily by the very next lookup.
    deadline = time.monotonic() + 5
    while near.current().get([policy_cache.user_key(user.pk)]) is not None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert near.current().get([policy_cache.user_key(user.pk)]) is None
    assert not near.current().entries
    for _ in range(3):  # refilled, then kept near again
        policy_cache.check(claims)
    before = mgets(admin)
    policy_cache.check(claims)
    assert mgets(admin) == before


@NEAR
def test_bounded_in_size_and_age(policy_cache_on, db, admin):
    users = [User.objects.create_user(f"u{i}", password="x" * 12) for i in range(10)]
    with simple_jwt(POLICY_CACHE="policy", POLICY_NEAR_CACHE=3, POLICY_NEAR_CACHE_SECONDS=0.2, **base.ROTATION):
        assert near.current().wait_up(10)
        for user in users:
            for _ in range(3):
                policy_cache.check(claims_of(user))
        assert len(near.current().entries) == 3
        last = claims_of(users[-1])
        before = mgets(admin)
        policy_cache.check(last)
        assert mgets(admin) == before
        time.sleep(0.25)
        policy_cache.check(last)  # too old: read again
        assert mgets(admin) == before + 1


@NEAR
def test_a_silent_channel_is_dropped(policy_cache_on, user, admin, monkeypatch):
    """A server that stops answering (paused here; a peer gone without closing, in life) drops it."""
    monkeypatch.setattr(near, "PING_SECONDS", 0.05)
    monkeypatch.setattr(near, "SILENCE_SECONDS", 0.3)
    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    current = near.current()
    assert current.get([policy_cache.user_key(user.pk)]) is not None
    admin.client_pause(1000)
    try:
        time.sleep(0.5)
        assert current.get([policy_cache.user_key(user.pk)]) is None
        assert not current.up
    finally:
        admin.client_unpause()
    assert current.wait_up(10)


@NEAR
def test_the_breaker_empties_it(policy_cache_on, user):
    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    assert near.current().entries
    breaker._trip(ConnectionError("a write-through failed"))
    assert not near.current().entries
    policy_cache.check(claims)
    assert not near.current().entries  # the breaker open: the database decides, nothing kept near
    breaker._down_until = 0.0
    for _ in range(2):  # closed again: read, then kept near again
        policy_cache.check(claims)
    assert near.current().get([policy_cache.user_key(user.pk)]) is not None


@pytest.mark.parametrize("policy_cache_on", ["redis", "locmem"], indirect=True)
def test_off(policy_cache_on):
    """POLICY_NEAR_CACHE = 0, or a cache other than Django's RedisCache: no near cache."""
    assert near.current() is None


@NEAR
def test_a_forked_child_opens_its_own_channel(policy_cache_on, user):
    """gunicorn --preload: the child never reads its parent's channel (nor trusts its entries)."""
    import os

    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    parent = near.current()
    assert parent.entries
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it sees, then leave without running any teardown
        try:
            fresh = near._near is None and not near._decided
            os.write(write, b"fresh" if fresh else b"inherited")
        finally:
            os._exit(0)
    os.close(write)
    seen = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert seen == b"fresh"
    assert near.current() is parent and parent.up  # the parent's is untouched


@pytest.mark.parametrize("policy_cache_on", ["locmem"], indirect=True)
def test_a_near_cache_the_cache_cannot_have_is_a_warning(policy_cache_on):
    from django.core import checks

    def w090():
        return [m for m in checks.run_checks() if m.id == "simplejwt_rs.W090"]

    assert w090() == []  # POLICY_NEAR_CACHE left at its default: no warning, no near cache
    with simple_jwt(POLICY_CACHE="policy", POLICY_NEAR_CACHE=100, **base.ROTATION):
        (message,) = w090()
        assert "LocMemCache" in message.msg and near.current() is None
    with simple_jwt(POLICY_CACHE="policy", POLICY_NEAR_CACHE=0, **base.ROTATION):
        assert w090() == []


@NEAR
def test_a_burst_of_invalidations_is_read_whole(policy_cache_on, user, other_server):
    """More invalidations than one read of the socket takes (about 1 MB of keys), the user's last: the very
    next lookup still sees it."""
    key = policy_cache.user_key(user.pk)
    claims = claims_of(user)
    for _ in range(3):
        policy_cache.check(claims)
    assert near.current().get([key]) is not None
    burst = {policy_cache.family_key(f"burst-{i:05d}-" + "x" * 200): False for i in range(5000)}
    other_server.set_many({**burst, key: entries.encode(Verdict(INACTIVE))}, 300)
    assert refused(claims)
