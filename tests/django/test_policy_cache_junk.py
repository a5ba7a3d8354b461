"""POLICY_CACHE entries of an unexpected shape or type are a miss: the database decides (issue 19, item 2).

A hypothesis test writes arbitrary values (any JSON value, pickles of builtins, tuples of every length made of
near-valid parts, raw bytes straight into Redis) at every key the cache owns for a request (the user's entry,
the token's family), then sends each user's token to both authentication classes: every answer must be the
one the database gives, never an allow of a refused token, never a 500, and never an open breaker (junk is
not an outage).  On Django's LocMemCache and on a real Redis (tests/django/test_policy_cache.py's fixtures).
"""

from __future__ import annotations

import json
import math
import time

from django.contrib.auth.models import User
from django.core.cache import caches
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.utils import get_md5_hash_password
from simplejwt_rs import policy_cache, revoke_user_tokens
from simplejwt_rs.models import RevokedTokenFamily
from simplejwt_rs.policy_cache import entries
from simplejwt_rs.store import revoke_family
from simplejwt_rs.tokens import AccessToken

from tests.django import test_policy_cache as base
from tests.django.helpers import PASSWORD, code, me, simple_jwt
from tests.django.test_policy_cache import ROTATION, STATELESS, locked_rule, tokens

# The same cache fixtures (LocMemCache and a throwaway redis-server) as the rest of the policy-cache tests.
policy_cache_on = base.policy_cache_on
redis_server = base.redis_server

EXAMPLES = 150
JUNK_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
VERDICTS = ("ok", "deleted", "inactive", "rule_refused")


def well_formed_user_entry(value) -> bool:
    """What the cache writes for a user (``policy_cache.state_of``): (verdict, detail, detail, mark), the
    mark a finite time (int or float, to the microsecond) or None, an allowed entry naming the account's pk.
    A value of this shape is an entry, not junk (a forged one is out of scope)."""
    if type(value) not in (tuple, list) or len(value) != 4:
        return False
    verdict, first, second, mark = value
    if type(verdict) is not str or not (mark is None or (type(mark) in (int, float) and math.isfinite(mark))):
        return False
    if verdict == "deleted":
        return first is None and second is None and mark is None
    if verdict == "inactive":
        return first is None and second is None
    if verdict == "rule_refused":
        return type(first) is str and type(second) is str
    return verdict == "ok" and type(first) is str and type(second) is str


def well_formed_family_entry(value) -> bool:
    return type(value) is bool


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=8,
)


def junk(fingerprints):
    """Any JSON value, pickles of builtins, and tuples of any length whose parts are close to an entry's."""
    part = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),  # NaN, ±inf
        st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1e18]),
        st.text(max_size=12),
        st.sampled_from([*VERDICTS, "1700000000", "", "None", *fingerprints]),
        st.binary(max_size=8),
        st.complex_numbers(),
    )
    builtins = st.recursive(
        part,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.lists(inner, max_size=6).map(tuple),
            st.frozensets(st.integers() | st.text(max_size=4), max_size=3),
            st.dictionaries(st.text(max_size=4), inner, max_size=3),
        ),
        max_leaves=10,
    )
    near_entries = st.tuples(st.sampled_from(VERDICTS), part, part, part)
    wrong_lengths = st.lists(part, max_size=7).map(tuple)
    return st.one_of(JSON, builtins, near_entries, wrong_lengths, st.sampled_from([0, "", [], (), {}, 0.0, b""]))


RAW = st.one_of(st.binary(max_size=24), JSON.map(lambda value: json.dumps(value).encode()))


class World:
    """One user per way the policy refuses, each with an access token, and the answers of an empty cache."""

    def __init__(self, api, group) -> None:
        self.api = api
        names = ("good", "inactive", "locked", "password", "family", "marked", "deleted")
        users = {name: User.objects.create_user(name, password=PASSWORD) for name in names}
        self.tokens = {name: tokens(api, name)[0] for name in names}
        users["inactive"].is_active = False
        users["inactive"].save()
        users["locked"].groups.add(group)
        users["password"].set_password("another one entirely")
        users["password"].save()
        revoke_family(AccessToken(self.tokens["family"]).payload["token_family"], time.time())
        revoke_user_tokens(users["marked"])
        # Only the "revoked before" mark refuses "marked"'s token now (as for a token without a family).
        RevokedTokenFamily.objects.filter(family=AccessToken(self.tokens["marked"]).payload["token_family"]).delete()
        users["deleted"].delete()
        self.fingerprints = [get_md5_hash_password(user.password) for user in users.values()]
        self.keys = {
            name: [
                policy_cache.user_key(AccessToken(token).payload["user_id"]),
                policy_cache.family_key(AccessToken(token).payload["token_family"]),
            ]
            for name, token in self.tokens.items()
        }
        caches["policy"].clear()
        self.expected = {name: self.answers(name) for name in names}
        assert self.expected["good"] == ((200, None), (200, None))
        assert all(status == 401 for name in names[1:] for status, _code in self.expected[name]), self.expected

    def answers(self, name, before_each=lambda: None):
        token = self.tokens[name]
        before_each()
        stateless = self.api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {token}")
        before_each()
        full = me(self.api, token)
        return tuple((r.status_code, code(r) if r.status_code != 200 else None) for r in (stateless, full))


def test_junk_entries_are_a_miss(policy_cache_on, db, api, locked_group, request):
    rule = f"{locked_rule.__module__}.locked_rule"
    with simple_jwt(POLICY_CACHE="policy", CHECK_REVOKE_TOKEN=True, USER_AUTHENTICATION_RULE=rule, **ROTATION):
        world = World(api, locked_group)
        cache = caches["policy"]
        raw_client = None
        if policy_cache_on == "redis":
            import redis

            raw_client = redis.Redis.from_url(request.getfixturevalue("redis_server").url)
        ran = []

        @JUNK_SETTINGS
        @given(user_value=junk(world.fingerprints), family_value=junk(world.fingerprints), raw=st.none() | RAW)
        @example(user_value=("ok", world.fingerprints[5], None, "1700000000"), family_value=0, raw=None)
        @example(user_value=("ok", world.fingerprints[5], None, math.nan), family_value="", raw=None)
        @example(user_value=("ok", world.fingerprints[5], None, True), family_value=[], raw=None)
        @example(user_value=("ok", world.fingerprints[5], None, -math.inf), family_value=(), raw=None)
        @example(user_value=("ok", world.fingerprints[5]), family_value=0.0, raw=None)
        @example(user_value=("ok", world.fingerprints[5], None, None, None), family_value=None, raw=b"0")
        @example(user_value=7, family_value="revoked", raw=b'{"revoked": false}')
        def property_(user_value, family_value, raw):
            assume(not well_formed_user_entry(user_value) and not well_formed_family_entry(family_value))
            ran.append(1)
            for name, (user_key, family_key) in world.keys.items():

                def write_junk(user_key=user_key, family_key=family_key):
                    cache.set(user_key, user_value)
                    cache.set(family_key, family_value)
                    if raw is not None and raw_client is not None:  # bytes no serializer wrote, at one of the keys
                        raw_client.set(cache.make_key(user_key if len(raw) % 2 else family_key), raw)

                assert world.answers(name, write_junk) == world.expected[name], (name, user_value, family_value, raw)
            assert not policy_cache.breaker_open()  # junk is not an outage

        try:
            property_()
        finally:
            if raw_client is not None:
                raw_client.close()
        assert len(ran) >= EXAMPLES


def test_junk_is_replaced_from_the_database(policy_cache_on, user, api, django_capture_on_commit_callbacks):
    """The database decides the request; the user's entry is then rewritten as a write-through is, and a
    family the database revokes is cached as revoked again (no concurrent write can be overwritten wrongly)."""
    access, _refresh = tokens(api)
    user_key = policy_cache.user_key(user.pk)
    family = AccessToken(access).payload["token_family"]
    caches["policy"].set(user_key, ("ok", "not a fingerprint", None, "1700000000"))
    with django_capture_on_commit_callbacks(execute=True):
        assert api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    assert caches["policy"].get(user_key) == entries._state_from_db(user.pk)
    revoke_family(family, time.time())
    caches["policy"].set(policy_cache.family_key(family), 0)  # looks false: a revoked family must stay refused
    response = api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 401 and code(response) == "token_family_revoked"
    assert caches["policy"].get(policy_cache.family_key(family)) is True
    assert not policy_cache.breaker_open()
