"""simplejwt_rs.ninja and the async paths (issue 22), in process: django-ninja's JWTAuth / AsyncJWTAuth and
their TokenUser twins, the token router, adrf's async views, and the zero-hop warm path counted.

The same guarantees over a real ASGI server (uvicorn, concurrent refreshes) are in tests/asgi.
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ninja import NinjaAPI
from simplejwt_rs.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from simplejwt_rs.ninja import AsyncJWTAuth, AsyncJWTTokenUserAuth, Refused, build_router, token_router
from simplejwt_rs.policy_cache import breaker

from tests.django import test_policy_cache as cache_tests
from tests.django.helpers import PASSWORD, simple_jwt

pytestmark = pytest.mark.urls("tests.django.urls_ninja")

policy_cache_on = cache_tests.policy_cache_on
redis_server = cache_tests.redis_server

ME = ["/ninja/me/sync", "/ninja/me/async", "/ninja/me/stateless/sync", "/ninja/me/stateless/async"]
ALL_ME = [*ME, "/ninja/me/async-guarding-sync"]


@pytest.fixture
def client():
    return Client()


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def pair(client, username="alice"):
    response = post(client, "/ninja/token/pair", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def get(client, path, access):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_every_class_authenticates_and_request_auth_is_the_user(user, client):
    access = pair(client)["access"]
    for path in ALL_ME:
        response = get(client, path, access)
        assert response.status_code == 200, (path, response.content)
        body = response.json()
        assert body["id"] == str(user.id) and body["token_type"] == "access"
        assert body["user"] == ("TokenUser" if "stateless" in path else "User")


def test_refusals_are_401_with_detail_and_code(user, client):
    access = pair(client)["access"]
    user.is_active = False
    user.save()
    for path in ALL_ME:
        response = get(client, path, access)
        if "stateless" in path:  # no row, no POLICY_CACHE: the token vouches for the user (as upstream)
            assert response.status_code == 200, path
            continue
        assert response.status_code == 401, path
        assert response.json() == {"detail": "User is inactive", "code": "user_inactive"}
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("path", ALL_ME)
def test_a_bad_token_is_refused_with_a_code(db, client, path):
    response = get(client, path, "not-a-token")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "token_not_valid" and body["detail"] == "Given token not valid for any token type"


def test_no_header_or_another_scheme_is_ninjas_401(db, client):
    for path in ALL_ME:
        assert client.get(path).status_code == 401
        assert client.get(path, HTTP_AUTHORIZATION="Basic abc").status_code == 401


def test_without_the_handler_a_refusal_is_still_a_401(db, client):
    response = get(client, "/bare/me", "not-a-token")
    assert response.status_code == 401 and response.json() == {"detail": "Given token not valid for any token type"}


def test_token_router_answers_simplejwts_shapes(user, client, rotating):
    tokens = pair(client)
    assert set(tokens) == {"access", "refresh"}
    refreshed = post(client, "/ninja/token/refresh", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200 and set(refreshed.json()) == {"access", "refresh"}
    verified = post(client, "/ninja/token/verify", {"token": refreshed.json()["access"]})
    assert verified.status_code == 200 and verified.json() == {}
    logout = post(client, "/ninja/token/blacklist", {"refresh": refreshed.json()["refresh"]})
    assert logout.status_code == 200 and logout.json() == {}
    again = post(client, "/ninja/token/refresh", {"refresh": refreshed.json()["refresh"]})
    assert again.status_code == 401 and again.json()["code"] == "token_reused"  # logged out: consumed


def test_refresh_without_rotation_answers_access_only(user, client):
    with simple_jwt(ROTATE_REFRESH_TOKENS=False):
        tokens = pair(client)
        refreshed = post(client, "/ninja/token/refresh", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200 and set(refreshed.json()) == {"access"}


def test_router_errors_are_drfs(user, client):
    wrong = post(client, "/ninja/token/pair", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "no_active_account"
    missing = post(client, "/ninja/token/refresh", {})
    assert missing.status_code == 400 and missing.json() == {"refresh": ["This field is required."]}
    garbage = client.post("/ninja/token/refresh", "{not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["code"] == "parse_error"
    deep = client.post("/ninja/token/verify", "[" * 100_000, content_type="application/json")
    assert deep.status_code == 400
    garbled = client.post("/ninja/token/verify", b"garbage", content_type="multipart/form-data; boundary=x")
    assert garbled.status_code == 400
    unbounded = client.post("/ninja/token/verify", b"garbage", content_type="multipart/form-data")
    assert unbounded.status_code == 400 and unbounded.json()["code"] == "parse_error"
    form = client.post("/ninja/token/verify", "token=abc", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 401 and form.json()["code"] == "token_not_valid"
    listed = post(client, "/ninja/token/verify", ["token"])
    assert listed.status_code == 400 and listed.json()["code"] == "parse_error"


def test_a_replay_revokes_the_family(user, client, rotating):
    first = pair(client)["refresh"]
    second = post(client, "/ninja/token/refresh", {"refresh": first}).json()["refresh"]
    replay = post(client, "/ninja/token/refresh", {"refresh": first})
    assert replay.status_code == 401
    successor = post(client, "/ninja/token/refresh", {"refresh": second})
    assert successor.status_code == 401 and successor.json()["code"] == "token_family_revoked"


def test_a_deactivated_user_cannot_refresh_through_the_router(user, client, rotating):
    refresh = pair(client)["refresh"]
    user.is_active = False
    user.save()
    response = post(client, "/ninja/token/refresh", {"refresh": refresh})
    assert response.status_code == 401 and response.json()["code"] == "no_active_account"


def test_openapi_shows_the_bodies(db):
    schema = NinjaAPI(urls_namespace="schema-test")
    schema.add_router("/token", token_router)
    paths = schema.get_openapi_schema(path_prefix="/api/")["paths"]
    body = paths["/api/token/pair"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"username", "password"}
    refresh = paths["/api/token/refresh"]["post"]
    assert refresh["requestBody"]["content"]["application/json"]["schema"]["required"] == ["refresh"]
    assert refresh["responses"][200]["content"]["application/json"]["schema"]["$ref"].endswith("/Refreshed")
    assert "/api/token/sliding" not in paths


def test_sliding_endpoints_when_configured(user, client):
    sliding = build_router(sliding=True)
    schema = NinjaAPI(urls_namespace="sliding-test")
    schema.add_router("/token", sliding)
    assert {"/api/token/sliding", "/api/token/sliding/refresh"} <= set(
        schema.get_openapi_schema(path_prefix="/api/")["paths"]
    )


def test_sliding_obtain_and_refresh(user, client):
    obtained = post(client, "/sliding/token/sliding", {"username": "alice", "password": PASSWORD})
    assert obtained.status_code == 200 and set(obtained.json()) == {"token"}
    refreshed = post(client, "/sliding/token/sliding/refresh", {"token": obtained.json()["token"]})
    assert refreshed.status_code == 200 and set(refreshed.json()) == {"token"}
    user.is_active = False
    user.save()
    refused = post(client, "/sliding/token/sliding/refresh", {"token": refreshed.json()["token"]})
    assert refused.status_code == 401 and refused.json()["code"]


# --- adrf -------------------------------------------------------------------------------------------------


def test_adrf_async_views(user, client):
    access = pair(client)["access"]
    assert get(client, "/adrf/me/", access).json() == {"username": "alice"}
    assert get(client, "/adrf/me/stateless/", access).json() == {"user": "TokenUser"}
    user.is_active = False
    user.save()
    refused = get(client, "/adrf/me/", access)
    assert refused.status_code == 401 and refused.data["code"] == "user_inactive"


# --- the zero-hop warm path, counted ----------------------------------------------------------------------


@pytest.fixture
def hops(monkeypatch):
    """How many SyncToAsync objects (sync_to_async hops) were made since the fixture started."""
    made = []
    original = SyncToAsync.__init__

    def counting(self, *args, **kwargs):
        made.append(args[0] if args else kwargs.get("func"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__init__", counting)
    return made


def _request(access):
    return RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")


def _run(auth, access):
    return async_to_sync(auth)(_request(access))


def test_stateless_async_without_cache_makes_no_hop(user, client, hops):
    access = pair(client)["access"]
    hops.clear()
    assert str(_run(AsyncJWTTokenUserAuth(), access).id) == str(user.id)
    found = async_to_sync(JWTStatelessUserAuthentication().aauthenticate)(_request(access))
    assert str(found[0].id) == str(user.id)
    assert hops == []


def test_warm_cache_no_hop_cold_one(policy_cache_on, user, client, hops):
    access = pair(client)["access"]
    auth = AsyncJWTTokenUserAuth()
    hops.clear()
    assert str(_run(auth, access).id) == str(user.id)  # cold: the sync path fills the cache
    assert len(hops) == 1
    for _ in range(3):
        hops.clear()
        assert str(_run(auth, access).id) == str(user.id)
        found = async_to_sync(JWTStatelessUserAuthentication().aauthenticate)(_request(access))
        assert str(found[0].id) == str(user.id)
        assert hops == [], policy_cache_on
    hops.clear()
    assert _run(AsyncJWTAuth(), access) == user  # the row: one hop, the sync get_user
    assert len(hops) == 1


def test_warm_cache_refuses_without_a_hop(policy_cache_on, user, client, hops, django_capture_on_commit_callbacks):
    access = pair(client)["access"]
    auth = AsyncJWTTokenUserAuth()
    _run(auth, access)  # warm
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()  # written through once it commits
    hops.clear()
    with pytest.raises(Refused) as refused:
        _run(auth, access)
    assert refused.value.status_code == 401 and refused.value.body["code"] == "user_inactive"
    assert hops == []  # the cache's entry refused it, in the event loop


def test_revoked_family_refused_without_a_hop(policy_cache_on, user, client, hops, django_capture_on_commit_callbacks):
    tokens = pair(client)
    access = tokens["access"]
    auth = AsyncJWTTokenUserAuth()
    _run(auth, access)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "/ninja/token/refresh", {"refresh": tokens["refresh"]})
        post(client, "/ninja/token/refresh", {"refresh": tokens["refresh"]})  # a replay revokes the family
    hops.clear()
    with pytest.raises(Refused) as refused:
        _run(auth, access)
    assert refused.value.body["code"] == "token_family_revoked"
    assert hops == []


def test_custom_get_user_keeps_its_hop(user, client, hops):
    class Mine(JWTStatelessUserAuthentication):
        def get_user(self, validated_token):
            return super().get_user(validated_token)

    access = pair(client)["access"]
    hops.clear()
    async_to_sync(Mine().aauthenticate)(_request(access))
    assert len(hops) == 1


def test_sync_class_in_async_view_still_works(user, client):
    assert JWTAuthentication().authenticate(_request(pair(client)["access"]))[0] == user


# --- any input: an answer with a code, never a 5xx ----------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = (
    SCALARS
    | st.lists(SCALARS, max_size=4)
    | st.dictionaries(st.text(max_size=12), SCALARS | st.lists(SCALARS, max_size=3), max_size=4)
)
FIELDS = st.sampled_from(["refresh", "token", "username", "password"])
BODIES = JSON | st.dictionaries(FIELDS, JSON | st.text(max_size=300), max_size=3)
ROUTES = ["/ninja/token/pair", "/ninja/token/refresh", "/ninja/token/verify", "/ninja/token/blacklist"]
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@EXAMPLES
@given(route=st.sampled_from(ROUTES), body=BODIES)
def test_any_json_body_is_a_4xx_with_a_body_or_a_200(user, client, route, body):
    response = post(client, route, body)
    assert response.status_code in (200, 400, 401), (route, body, response.content)
    answer = response.json()
    assert isinstance(answer, dict)
    if response.status_code == 401:
        assert answer["code"]


@EXAMPLES
@given(route=st.sampled_from(ROUTES), raw=st.binary(max_size=200))
def test_any_bytes_are_a_4xx_or_a_200(user, client, route, raw):
    response = client.post(route, raw, content_type="application/json")
    assert response.status_code in (200, 400, 401), (route, raw, response.content)


@EXAMPLES
@given(path=st.sampled_from(ALL_ME), header=st.text(alphabet=st.characters(codec="latin-1"), max_size=200))
def test_any_authorization_header_is_a_401_or_a_200(user, client, path, header):
    response = client.get(path, HTTP_AUTHORIZATION=header)
    assert response.status_code in (200, 401), (path, header, response.content)


@pytest.mark.parametrize("policy_cache_on", ["redis"], indirect=True)
def test_redis_stopped_the_database_decides(policy_cache_on, user, client, hops, redis_server, monkeypatch):
    monkeypatch.setattr(breaker, "BREAKER_SECONDS", 0.3)
    bob = User.objects.create_user("bob", password=PASSWORD)
    access, bob_access = pair(client)["access"], pair(client, "bob")["access"]
    auth = AsyncJWTTokenUserAuth()
    _run(auth, access), _run(auth, bob_access)  # warm
    redis_server.stop("keep")
    try:
        bob.is_active = False
        bob.save()  # the write-through fails: kept for replay; the breaker opens
        for _ in range(5):
            hops.clear()
            assert str(_run(auth, access).id) == str(user.id)
            with pytest.raises(Refused) as refused:
                _run(auth, bob_access)
            assert refused.value.body["code"] == "user_inactive"
            assert len(hops) == 2  # each on the sync path: the database decides
    finally:
        redis_server.start()
    time.sleep(0.35)
    _run(auth, access)  # the breaker closes on the sync path, the kept writes replayed, the entry refilled
    hops.clear()
    assert str(_run(auth, access).id) == str(user.id)
    assert hops == []  # warm again
