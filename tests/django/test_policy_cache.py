"""POLICY_CACHE: the user policy and revocations from a cache, zero SQL queries on a warm cache.

Every test runs on Django's LocMemCache and on a real Redis (Django's RedisCache; a throwaway
redis-server started by scripts/redis.sh, which installs Debian's package if it is missing).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from simplejwt_rs import policy_cache, revoke_user_tokens
from simplejwt_rs import settings as jwt_settings
from simplejwt_rs.errors import Refuse
from simplejwt_rs.models import RevokedUserTokens
from simplejwt_rs.policy_cache import breaker, entries, near, reads
from simplejwt_rs.tokens import AccessToken

from harness import services
from harness.server import free_port
from tests.django.helpers import PASSWORD, code, me, obtain, refresh, simple_jwt

STATELESS = "/api/me/stateless/"


def locked_rule(user):
    """A USER_AUTHENTICATION_RULE with a refusal of its own: active, and not in the 'locked' group."""
    if user is not None and user.groups.filter(name="locked").exists():
        raise Refuse("This account is locked.", "account_locked")
    return user is not None and user.is_active


class FlakyCache(LocMemCache):
    """A LocMemCache that fails every call while ``failing`` is set (a cache server that is unreachable)."""

    failing = False

    def _maybe_fail(self):
        if FlakyCache.failing:
            raise ConnectionError("cache unreachable")

    def get_many(self, *args, **kwargs):
        self._maybe_fail()
        return super().get_many(*args, **kwargs)

    def add(self, *args, **kwargs):
        self._maybe_fail()
        return super().add(*args, **kwargs)

    def set_many(self, *args, **kwargs):
        self._maybe_fail()
        return super().set_many(*args, **kwargs)

    def delete_many(self, *args, **kwargs):
        self._maybe_fail()
        return super().delete_many(*args, **kwargs)

    def set(self, *args, **kwargs):
        self._maybe_fail()
        return super().set(*args, **kwargs)


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway redis-server (scripts/redis.sh), which a test may stop ("keep" its directory) and start again."""
    if shutil.which("redis-server") is None and shutil.which("apt-get") is None:
        pytest.fail("the policy-cache tests need redis-server (Debian's redis-server package; make test installs it)")
    with services.running("redis.sh") as server:
        yield server


def _caches(kind, request):
    if kind == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "policy"}
    if kind == "flaky":
        return {"BACKEND": f"{__name__}.FlakyCache", "LOCATION": "flaky"}
    server = request.getfixturevalue("redis_server")
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


ROTATION = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


@pytest.fixture(params=["locmem", "redis", "near"])
def policy_cache_on(request, db):
    """POLICY_CACHE="policy" on LocMemCache or Redis, with rotation (so access tokens carry their family);
    "redis" without the near cache, "near" with it (its invalidation channel up before the test starts)."""
    backend = _caches("redis" if request.param == "near" else request.param, request)
    near_size = {"POLICY_NEAR_CACHE": 0} if request.param == "redis" else {}
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "policy": backend}
    ):
        with simple_jwt(POLICY_CACHE="policy", **ROTATION, **near_size):
            caches["policy"].clear()
            breaker._pending.clear()
            breaker._down_until = 0.0
            if request.param == "near":
                assert near.current().wait_up(10)
            yield request.param
            FlakyCache.failing = False
            breaker._pending.clear()
            breaker._down_until = 0.0
            try:
                caches["policy"].clear()
            except Exception:  # noqa: BLE001  (a test stopped the server)
                pass


def queries(api, path, access):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")
    return response, len(ctx.captured_queries)


def tokens(api, username="alice"):
    response = obtain(api, username=username)
    assert response.status_code == 200, response.data
    return response.data["access"], response.data["refresh"]


def test_stateless_warm_cache_zero_queries(policy_cache_on, user, api):
    access, _refresh = tokens(api)
    first, cold = queries(api, STATELESS, access)
    assert first.status_code == 200 and cold > 0  # filled from the database
    for _ in range(3):
        response, n = queries(api, STATELESS, access)
        assert response.status_code == 200 and str(response.data["id"]) == str(user.id)  # an int before simplejwt 5.5
        assert n == 0


def test_deactivated_user_refused_by_stateless(policy_cache_on, user, api):
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    user.is_active = False
    user.save()
    response, _n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive"
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive" and n == 0


def test_rule_refusal_keeps_its_code(policy_cache_on, user, api, locked_group):
    with simple_jwt(POLICY_CACHE="policy", USER_AUTHENTICATION_RULE=f"{__name__}.locked_rule", **ROTATION):
        access, _refresh = tokens(api)
        assert queries(api, STATELESS, access)[0].status_code == 200
        user.groups.add(locked_group)
        response, _n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "account_locked"
        assert str(response.data["detail"]) == "This account is locked."
        response, n = queries(api, STATELESS, access)
        assert code(response) == "account_locked" and n == 0
        locked_group.user_set.remove(user)  # from the group's side
        assert queries(api, STATELESS, access)[0].status_code == 200
        user.groups.add(locked_group)
        locked_group.user_set.clear()
        assert queries(api, STATELESS, access)[0].status_code == 200


def test_password_change_refused(policy_cache_on, user, api):
    with simple_jwt(POLICY_CACHE="policy", CHECK_REVOKE_TOKEN=True, **ROTATION):
        access, _refresh = tokens(api)
        assert queries(api, STATELESS, access)[0].status_code == 200
        user.set_password("another one entirely")
        user.save()
        response, _n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "password_changed"
        response, n = queries(api, STATELESS, access)
        assert code(response) == "password_changed" and n == 0


def test_deleted_user_refused(policy_cache_on, user, api):
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    user.delete()
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_not_found" and n == 0


def test_revoked_family_refuses_its_access_tokens(policy_cache_on, user, api):
    access, first_refresh = tokens(api)
    other_access, _other = tokens(api)  # another session (family) of the same user
    assert queries(api, STATELESS, access)[0].status_code == 200
    assert me(api, access).status_code == 200
    rotated = refresh(api, first_refresh)
    assert rotated.status_code == 200
    assert refresh(api, first_refresh).status_code == 401  # reuse: the family is revoked
    for token in (access, rotated.data["access"]):
        response, n = queries(api, STATELESS, token)
        assert response.status_code == 401 and code(response) == "token_family_revoked"
        assert n == 0
        response = me(api, token)  # JWTAuthentication too
        assert response.status_code == 401 and code(response) == "token_family_revoked"
    assert queries(api, STATELESS, other_access)[0].status_code == 200
    assert me(api, other_access).status_code == 200


def test_revoke_user_tokens_refuses_earlier_access_tokens(
    policy_cache_on, user, api, clock, django_capture_on_commit_callbacks
):
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # as it commits: the entry is rewritten, warm
        revoke_user_tokens(user)
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "token_family_revoked" and n == 0
    assert me(api, access).status_code == 401
    clock.advance(1)
    fresh, _refresh = tokens(api)
    assert queries(api, STATELESS, fresh)[0].status_code == 200
    assert me(api, fresh).status_code == 200


def test_without_the_cache_stateless_checks_nothing(user, api):
    # POLICY_CACHE None (the default): today's behaviour, no query and no policy.
    access, _refresh = tokens(api)
    user.is_active = False
    user.save()
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 200 and n == 0


def test_policy_cache_setting_is_checked(db):
    with simple_jwt(POLICY_CACHE="nowhere"):
        assert ("POLICY_CACHE", "names no cache in CACHES (got 'nowhere')") in jwt_settings.problems()
        assert jwt_settings.get("POLICY_CACHE") is None
    with simple_jwt(POLICY_CACHE=3):
        assert jwt_settings.problems()[0][0] == "POLICY_CACHE"


@pytest.mark.parametrize("policy_cache_on", ["flaky"], indirect=True)
def test_unreachable_cache_falls_back_and_replays_its_writes(policy_cache_on, user, api, monkeypatch):
    monkeypatch.setattr(breaker, "BREAKER_SECONDS", 0.2)
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    assert queries(api, STATELESS, access)[1] == 0  # warm: "allowed" is cached
    FlakyCache.failing = True
    user.is_active = False
    user.save()  # the write-through fails: kept for replay
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive" and n > 0  # the database decided
    FlakyCache.failing = False
    response, n = queries(api, STATELESS, access)  # breaker still open: database
    assert response.status_code == 401 and n > 0
    time.sleep(0.25)
    # The stale "allowed" entry is replaced before the cache answers again.
    response, _n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive"
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and n == 0


@pytest.mark.parametrize("policy_cache_on", ["redis", "near"], indirect=True)
def test_redis_stopped_mid_test(policy_cache_on, user, api, redis_server, monkeypatch):
    monkeypatch.setattr(breaker, "BREAKER_SECONDS", 0.3)
    bob = User.objects.create_user("bob", password=PASSWORD)
    access, _refresh = tokens(api)
    bob_access, _bob_refresh = tokens(api, "bob")
    assert queries(api, STATELESS, access)[0].status_code == 200
    bob.is_active = False
    bob.save()
    assert queries(api, STATELESS, bob_access)[0].status_code == 401
    assert queries(api, STATELESS, access)[1] == 0
    redis_server.stop("keep")
    try:
        started = time.monotonic()
        for _ in range(20):
            ok, n = queries(api, STATELESS, access)
            refused, _n = queries(api, STATELESS, bob_access)
            assert ok.status_code == 200 and n > 0  # the database decides
            assert refused.status_code == 401 and code(refused) == "user_inactive"
        # The breaker keeps a dead server from costing every request a connection attempt.
        assert time.monotonic() - started < 5
    finally:
        redis_server.start()
    time.sleep(0.35)
    assert queries(api, STATELESS, access)[0].status_code == 200  # refilled (the new server is empty)
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 200 and n == 0  # the cache is used again
    assert queries(api, STATELESS, bob_access)[0].status_code == 401


def test_renamed_user_id_field_forgets_the_old_id(policy_cache_on, user, api):
    with simple_jwt(POLICY_CACHE="policy", USER_ID_FIELD="username", **ROTATION):
        access, _refresh = tokens(api)
        assert queries(api, STATELESS, access)[0].status_code == 200
        user.username = "alicia"
        user.save()
        response, _n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "user_not_found"


def test_queryset_update_needs_forget_user(policy_cache_on, user, api):
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)  # no signal: the cache still says allowed
    assert queries(api, STATELESS, access)[0].status_code == 200
    policy_cache.forget_user(user)
    response, _n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive"


# --- how the cache is read ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy_cache_on", ["redis"], indirect=True)
def test_reads_go_to_the_server_written_to(policy_cache_on, user, api, redis_server, request):
    """With replicas listed, Django's ``get_many`` reads one of them (which may lag behind a write):
    the policy cache reads the first server, the one it writes through."""
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    backend = {**_caches("redis", request), "LOCATION": f"{redis_server.url},{unreachable}"}
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": locmem, "policy": backend}):
        access, _refresh = tokens(api)
        assert queries(api, STATELESS, access)[0].status_code == 200
        for _ in range(3):
            response, n = queries(api, STATELESS, access)
            assert response.status_code == 200 and n == 0
        user.is_active = False
        user.save()
        response, _n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "user_inactive"
        assert not policy_cache.breaker_open()


@pytest.mark.parametrize("policy_cache_on", ["redis"], indirect=True)
def test_a_connection_the_server_closed_is_made_anew(policy_cache_on, user, api, redis_server):
    """A server that closed an idle connection (its ``timeout``, a restart) costs no trip to the database."""
    import redis

    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    admin = redis.Redis.from_url(redis_server.url)
    try:
        assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
    finally:
        admin.close()
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 200 and n == 0
    assert not policy_cache.breaker_open()


@pytest.mark.parametrize("policy_cache_on", ["redis"], indirect=True)
def test_a_forked_process_makes_its_own_connection(policy_cache_on, user, api):
    """A worker forked after the cache was read (gunicorn --preload) never writes to its parent's socket."""
    access, _refresh = tokens(api)
    assert queries(api, STATELESS, access)[0].status_code == 200
    reader = reads._get_many(caches["policy"])
    parents = reader.local.connection
    reader.local.pid = -1  # as os.getpid() reads in a child
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 200 and n == 0
    assert reader.local.connection is not parents
    assert parents._sock is not None  # left to the parent, not closed
    parents.disconnect()


@pytest.mark.parametrize("policy_cache_on", ["redis"], indirect=True)
def test_each_thread_keeps_its_connection(policy_cache_on, user):
    """Threads taking turns (a threaded server) each keep one connection: none is made per request."""
    import threading

    claims = {"user_id": str(user.pk), "iat": int(time.time())}
    policy_cache.check(claims)  # fills the entry
    mine = reads._get_many(caches["policy"])
    connection = mine.local.connection
    seen = []

    def other_thread():
        policy_cache.check(claims)
        seen.append(reads._get_many(caches["policy"]))

    for _ in range(3):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        policy_cache.check(claims)
    assert reads._get_many(caches["policy"]) is mine and mine.local.connection is connection
    assert all(reader is not mine for reader in seen)
    assert not policy_cache.breaker_open()


def test_an_entry_of_another_shape_leaves_the_decision_to_the_database(policy_cache_on, user, api):
    access, _refresh = tokens(api)
    caches["policy"].set(policy_cache.user_key(user.pk), 7)
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 200 and n > 0
    User.objects.filter(pk=user.pk).update(is_active=False)
    caches["policy"].set(policy_cache.user_key(user.pk), 7)
    response, n = queries(api, STATELESS, access)
    assert response.status_code == 401 and code(response) == "user_inactive"
    assert not policy_cache.breaker_open()


def test_settings_are_read_again_when_they_change(policy_cache_on):
    assert policy_cache.enabled()
    with simple_jwt(**ROTATION):
        assert not policy_cache.enabled()
    assert policy_cache.enabled()
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        assert not policy_cache.enabled()  # POLICY_CACHE names no cache: as unset (check E008 reports it)
    assert policy_cache.enabled()


# --- "log out everywhere": the database holds the mark, the cache a copy --------------------------------

NO_FAMILY = {  # no single-use rotation: access tokens carry no family claim; sliding tokens authenticate too
    "ROTATE_REFRESH_TOKENS": False,
    "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken"),
}


def family_less_tokens(api, kind):
    """An access token (rotation off) or a sliding token of alice: neither carries TOKEN_FAMILY_CLAIM."""
    if kind == "access":
        token = tokens(api)[0]
    else:
        response = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.data
        token = response.data["token"]
    assert jwt_settings.get("TOKEN_FAMILY_CLAIM") not in AccessToken(token, verify=False).payload
    return token


def evict(how, user, redis_server):
    if how == "delete":
        caches["policy"].delete(policy_cache.user_key(user.pk))
    elif how == "flush":
        caches["policy"].clear()
    elif redis_server is not None:  # "stop": every check takes the database path
        redis_server.stop("keep")
    else:  # "stop" for LocMemCache: as if unreachable, the breaker sends every check to the database
        breaker._trip(ConnectionError("cache unreachable"))


def both_classes(api, token):
    """(stateless response, its SQL count), JWTAuthentication's response."""
    stateless, n = queries(api, STATELESS, token)
    return stateless, n, me(api, token)


@pytest.mark.parametrize("kind", ["access", "sliding"])
@pytest.mark.parametrize("how", ["delete", "flush", "stop"])
def test_logged_out_everywhere_outlives_the_cache(
    policy_cache_on, user, api, clock, how, kind, request, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(breaker, "BREAKER_SECONDS", 0.3)
    redis_server = request.getfixturevalue("redis_server") if how == "stop" and policy_cache_on == "redis" else None
    with simple_jwt(POLICY_CACHE="policy", **NO_FAMILY):
        token = family_less_tokens(api, kind)
        stateless, _n, full = both_classes(api, token)
        assert stateless.status_code == 200 and full.status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            revoke_user_tokens(user)
        stateless, n, full = both_classes(api, token)
        assert stateless.status_code == 401 and full.status_code == 401
        # The blacklist (one query a request) refuses a sliding token first: drop its row, so the mark decides.
        BlacklistedToken.objects.filter(token__user=user).delete()
        blacklist_queries = 0 if kind == "access" else 1
        stateless, n, full = both_classes(api, token)
        assert stateless.status_code == 401 and code(stateless) == "token_family_revoked"
        assert n == blacklist_queries  # warm
        assert full.status_code == 401 and code(full) == "token_family_revoked"
        evict(how, user, redis_server)
        try:
            for _ in range(2):  # cold: filled from the database; then warm again (or the database, Redis stopped)
                stateless, n, full = both_classes(api, token)
                assert stateless.status_code == 401 and code(stateless) == "token_family_revoked"
                assert full.status_code == 401 and code(full) == "token_family_revoked"
            if how == "stop":
                assert policy_cache.breaker_open() and n > blacklist_queries
            else:
                assert n == blacklist_queries
            clock.advance(1)
            fresh = family_less_tokens(api, kind)  # issued after the revocation
            stateless, _n, full = both_classes(api, fresh)
            assert stateless.status_code == 200 and full.status_code == 200
        finally:
            if redis_server is not None:
                redis_server.start()


def test_the_mark_is_in_the_database_and_only_moves_forward(user, clock):
    revoke_user_tokens(user, now=clock.now)
    revoke_user_tokens(user, now=clock.now - 60)  # an older revocation (a retried job) keeps the later mark
    assert policy_cache.mark_of(user) == int(clock.now)
    revoke_user_tokens(user, now=clock.now + 30.7)
    row = RevokedUserTokens.objects.get()
    # To the microsecond: a token minted later in that second can show it came after (policy.revoked_by_mark).
    assert row.user_id == str(user.pk) and policy_cache.mark_of(user) == pytest.approx(clock.now + 30.7, abs=1e-6)


def test_without_the_cache_the_mark_costs_nothing(user, api, clock):
    # POLICY_CACHE None (the default): today's behaviour. Access tokens stay valid until they expire;
    # refresh and sliding tokens are blacklisted (the README's "Logging a user out everywhere").
    with simple_jwt(**NO_FAMILY):
        access = family_less_tokens(api, "access")
        revoke_user_tokens(user)
        with CaptureQueriesContext(connection) as ctx:
            assert me(api, access).status_code == 200
        assert len(ctx.captured_queries) == 1  # the user row, as before: no query for the mark
        assert queries(api, STATELESS, access)[0].status_code == 200


@pytest.mark.parametrize("fill_lands", ["before the rewrite", "after the rewrite"])
def test_a_fill_racing_the_revocation_never_drops_the_mark(
    policy_cache_on, user, api, fill_lands, django_capture_on_commit_callbacks
):
    """Another server fills the cold entry while the revocation commits: it read the database before the
    commit (no mark), and its ``add`` lands before or after the revocation's post-commit ``set``."""
    with simple_jwt(POLICY_CACHE="policy", **NO_FAMILY):
        access = family_less_tokens(api, "access")
        key = policy_cache.user_key(user.pk)
        caches["policy"].delete(key)
        stale = entries._state_from_db(user.pk)  # the other server's read: no mark yet
        assert stale[3] is None
        if fill_lands == "before the rewrite":
            breaker._fill(key, stale)
        with django_capture_on_commit_callbacks(execute=True):
            revoke_user_tokens(user)
        if fill_lands == "after the rewrite":
            breaker._fill(key, stale)  # add: the rewritten entry is there, so nothing happens
        assert caches["policy"].get(key)[3] is not None
        response, n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "token_family_revoked" and n == 0


def test_a_rewrite_racing_the_revocation_never_drops_the_mark(
    policy_cache_on, user, api, monkeypatch, django_capture_on_commit_callbacks
):
    """A save of the user on one server reads the database for its rewrite just before a revocation on
    another commits and rewrites the entry; the save's ``set`` then lands last, with no mark.  Its
    read-back sees the mark and writes the entry again."""
    with simple_jwt(POLICY_CACHE="policy", **NO_FAMILY):
        access = family_less_tokens(api, "access")
        real = entries._state_from_db
        interleaved = []

        def read_then_revocation_commits(user_id):
            state = real(user_id)
            if not interleaved:
                interleaved.append(state)
                with django_capture_on_commit_callbacks(execute=True):
                    revoke_user_tokens(user)
                assert caches["policy"].get(policy_cache.user_key(user.pk))[3] is not None
            return state

        user.first_name = "Alice"
        user.save()  # deletes the entry now; its rewrite is what runs once the save commits:
        monkeypatch.setattr(entries, "_state_from_db", read_then_revocation_commits)
        breaker.rewrite(str(user.pk))
        assert interleaved and interleaved[0][3] is None  # the save's first read had no mark
        assert caches["policy"].get(policy_cache.user_key(user.pk))[3] is not None
        response, n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "token_family_revoked" and n == 0


@pytest.mark.parametrize("policy_cache_on", ["redis", "near"], indirect=True)
def test_a_fill_on_another_thread_racing_a_committed_revocation(
    policy_cache_on, transactional_db, user, api, monkeypatch
):
    """Real commits, two threads (two database connections): one fills the cold entry and is held between
    its database read and its ``add`` while the other revokes and commits."""
    import threading

    with simple_jwt(POLICY_CACHE="policy", **NO_FAMILY):
        access = family_less_tokens(api, "access")
        claims = dict(AccessToken(access).payload)
        key = policy_cache.user_key(user.pk)
        caches["policy"].delete(key)
        read, go_on, outcome = threading.Event(), threading.Event(), []
        real_fill = breaker._fill

        def held_fill(k, value):
            if threading.current_thread() is filler:
                read.set()
                assert go_on.wait(10)
            real_fill(k, value)

        def fill():
            try:
                policy_cache.check(dict(claims))
                outcome.append("accepted")
            except Exception as exc:  # noqa: BLE001
                outcome.append(exc)
            finally:
                connection.close()

        monkeypatch.setattr(breaker, "_fill", held_fill)
        filler = threading.Thread(target=fill)
        filler.start()
        try:
            assert read.wait(10)  # the filler has read the database: no mark yet
            revoke_user_tokens(user)  # commits, then rewrites the entry (on_commit)
            assert caches["policy"].get(key)[3] is not None
        finally:
            go_on.set()
            filler.join(10)
        assert outcome == ["accepted"]  # it decided on what it read, before the revocation
        assert caches["policy"].get(key)[3] is not None  # and its late add changed nothing
        response, n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "token_family_revoked" and n == 0
        assert me(api, access).status_code == 401


def test_the_marks_are_in_the_admin_read_only(user, clock):
    from django.contrib.admin.sites import AdminSite
    from simplejwt_rs.admin import RevokedUserTokensAdmin

    revoke_user_tokens(user)
    admin = RevokedUserTokensAdmin(RevokedUserTokens, AdminSite())
    assert list(admin.get_queryset(None).values_list("user_id", flat=True)) == [str(user.pk)]
    assert not admin.has_add_permission(None) and not admin.has_change_permission(None)
    assert not admin.has_delete_permission(None)  # a deleted mark would let earlier tokens back in


@pytest.mark.parametrize("policy_cache_on", ["flaky"], indirect=True)
def test_a_failed_write_replayed_late_never_drops_a_later_mark(
    policy_cache_on, user, api, monkeypatch, django_capture_on_commit_callbacks
):
    """Server A's write of the user's entry fails (kept for replay); server B then revokes the user's tokens
    and writes through.  A's replay, later, rewrites the entry from the database, not from its old value."""
    monkeypatch.setattr(breaker, "BREAKER_SECONDS", 0.2)
    with simple_jwt(POLICY_CACHE="policy", **NO_FAMILY):
        access = family_less_tokens(api, "access")
        assert queries(api, STATELESS, access)[0].status_code == 200
        FlakyCache.failing = True
        with django_capture_on_commit_callbacks(execute=True):
            user.first_name = "Alice"
            user.save()  # on A: the write-through fails
        FlakyCache.failing = False
        kept_by_a = dict(breaker._pending)
        assert kept_by_a
        breaker._pending.clear()  # B: its own process, its cache up
        breaker._down_until = 0.0
        with django_capture_on_commit_callbacks(execute=True):
            revoke_user_tokens(user)
        assert caches["policy"].get(policy_cache.user_key(user.pk))[3] is not None
        breaker._pending.update(kept_by_a)  # back on A, its breaker closed again: it replays first
        response, _n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "token_family_revoked"
        assert caches["policy"].get(policy_cache.user_key(user.pk))[3] is not None
        response, n = queries(api, STATELESS, access)
        assert response.status_code == 401 and code(response) == "token_family_revoked" and n == 0


@pytest.mark.parametrize("path", [STATELESS, "/api/me/"])
def test_a_cold_cache_reads_the_user_row_once(policy_cache_on, user, api, path):
    """Cold (or evicted) entry: the user row, its "revoked before" mark and the family are read once each, the
    mark in the user's own query (issue 20): JWTAuthentication judges the row it loads, no second read."""
    access, _refresh = tokens(api)
    caches["policy"].clear()
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    user_rows = [s for s in sql if f'FROM "{User._meta.db_table}"' in s]
    assert len(user_rows) == 1, sql
    assert len(sql) == 2, sql  # the user row with its mark, the family
    response, n = queries(api, path, access)
    assert response.status_code == 200 and n == (0 if path == STATELESS else 1)  # warm: the row alone


def test_the_store_and_the_policy_do_not_import_the_cache():
    """The policy decides and the store writes; the cache hears of revocations through the hook it registers
    at ready (store.on_revocation), and its receivers are connected there, not at import."""
    import ast

    from simplejwt_rs import policy, store

    for module in (store, policy):
        tree = ast.parse(Path(module.__file__).read_text())
        imported = [
            name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for name in [getattr(node, "module", None) or "", *(alias.name for alias in node.names)]
        ]
        assert not [name for name in imported if "policy_cache" in name], module.__name__
