"""Logging out everywhere, and the account a token names, at every entry point (issue 19, items 4, 9 and 13).

- Item 4: the revocation reaches the account whatever ``USER_ID_FIELD`` is and whichever authentication
  class ran ``RevokeUserTokensView`` (a ``TokenUser``'s ``pk`` is the claim value, not the account's key).
- Item 9: a token names its account, not only a ``USER_ID_FIELD`` value a new account may take.
- Item 13: one rule judges a token against the "revoked before" mark at refresh, verify and
  authentication, and a login right after the revocation (in the same second) simply works.
"""

from __future__ import annotations

import time

import jwt
import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from simplejwt_rs import policy, revoke_user_tokens
from simplejwt_rs import settings as jwt_settings
from simplejwt_rs.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from simplejwt_rs.models import RevokedUserTokens
from simplejwt_rs.policy_cache import breaker
from simplejwt_rs.tokens import AccessToken, RefreshToken
from simplejwt_rs.views import RevokeUserTokensView

from tests.django.helpers import PASSWORD, code, me, obtain, refresh, simple_jwt, verify
from tests.django.test_policy_cache import _caches, redis_server  # noqa: F401  (a fixture)

STATELESS = "/api/me/stateless/"
ROTATION = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
CLASSES = {"full": JWTAuthentication, "stateless": JWTStatelessUserAuthentication}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "policy"}


@pytest.fixture(params=[None, "locmem", "redis"], ids=["no-cache", "locmem-cache", "redis-cache"])
def cache(request, db):
    """POLICY_CACHE off, or on a LocMemCache, or on a real Redis (Django's RedisCache)."""
    backend = LOCMEM if request.param is None else _caches(request.param, request)
    with override_settings(CACHES={"default": {"BACKEND": LOCMEM["BACKEND"]}, "policy": backend}):
        caches["policy"].clear()
        breaker._pending.clear()
        breaker._down_until = 0.0
        yield None if request.param is None else "policy"
        caches["policy"].clear()


def pair(api, username="alice"):
    response = obtain(api, username=username)
    assert response.status_code == 200, response.data
    return response.data


def stateless(api, access):
    return api.get(STATELESS, HTTP_AUTHORIZATION=f"Bearer {access}")


def revoke_through_the_view(access, auth_class):
    view = RevokeUserTokensView.as_view(authentication_classes=[auth_class])
    return view(RequestFactory().post("/logout-everywhere/", HTTP_AUTHORIZATION=f"Bearer {access}"))


def authenticate(api, access, cache):
    """The responses of the authentication classes that apply revocations: both with POLICY_CACHE, none without
    (the README's "Logging a user out everywhere": without the cache access tokens live until they expire)."""
    if cache is None:
        return []
    return [me(api, access), stateless(api, access)]


# --- item 4: the revocation reaches the account ----------------------------------------------------------


@pytest.mark.parametrize("rotation", [True, False], ids=["rotation", "no-rotation"])
@pytest.mark.parametrize("auth", CLASSES)
@pytest.mark.parametrize("id_field", ["id", "username"])
def test_log_out_everywhere_reaches_the_account(api, user, clock, cache, id_field, auth, rotation):
    with simple_jwt(USER_ID_FIELD=id_field, POLICY_CACHE=cache, **(ROTATION if rotation else {})):
        clock.advance(0.1)
        first, second = pair(api), pair(api)
        assert me(api, first["access"]).status_code == 200
        assert stateless(api, first["access"]).status_code == 200
        clock.advance(0.3)
        response = revoke_through_the_view(first["access"], CLASSES[auth])
        assert response.status_code == 204
        # Keyed by the account's primary key, whatever USER_ID_FIELD and the class that authenticated.
        assert list(RevokedUserTokens.objects.values_list("user_id", flat=True)) == [str(user.pk)]
        for tokens in (first, second):
            assert refresh(api, tokens["refresh"]).status_code == 401
            assert (verify(api, tokens["access"]).status_code, code(verify(api, tokens["access"]))) == (
                401,
                "token_family_revoked",
            )
            for answer in authenticate(api, tokens["access"], cache):
                assert (answer.status_code, code(answer)) == (401, "token_family_revoked"), answer.data
        # A login in the same second (after the revocation) works everywhere.
        clock.advance(0.2)
        fresh = pair(api)
        assert me(api, fresh["access"]).status_code == 200
        assert stateless(api, fresh["access"]).status_code == 200
        assert verify(api, fresh["access"]).status_code == 200
        renewed = refresh(api, fresh["refresh"])
        assert renewed.status_code == 200, renewed.data
        assert me(api, renewed.data["access"]).status_code == 200
        assert stateless(api, renewed.data["access"]).status_code == 200


def test_revoke_user_tokens_takes_a_token_user(api, user, clock):
    """What a project's own view behind the stateless class passes: request.user, a TokenUser."""
    with simple_jwt(USER_ID_FIELD="username", **ROTATION):
        tokens = pair(api)
        token_user = JWTStatelessUserAuthentication().get_user(AccessToken(tokens["access"]))
        assert token_user.pk == "alice"
        clock.advance(1)
        revoke_user_tokens(token_user)
        assert policy.mark_of(user) == pytest.approx(clock.now)
        assert OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).count() == 0
        assert refresh(api, tokens["refresh"]).status_code == 401


def test_the_view_answers_401_for_a_token_of_no_account(api, user):
    """Behind the stateless class (no user lookup), a deleted account's token has no one to log out."""
    with simple_jwt(USER_ID_FIELD="username"):
        tokens = pair(api)
        user.delete()
        response = revoke_through_the_view(tokens["access"], JWTStatelessUserAuthentication)
        assert (response.status_code, code(response)) == (401, "user_not_found")
        assert not RevokedUserTokens.objects.exists()


# --- item 9: a token names its account ------------------------------------------------------------------


def sliding(api, username="alice"):
    response = api.post("/api/token/sliding/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.data
    return response.data["token"]


def sliding_refresh(api, token):
    return api.post("/api/token/sliding/refresh/", {"token": token}, format="json")


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("rotation", [True, False], ids=["rotation", "no-rotation"])
def test_a_new_account_with_a_deleted_ones_username_is_not_its_tokens_owner(api, user, cache, rotation):
    with simple_jwt(
        USER_ID_FIELD="username",
        POLICY_CACHE=cache,
        AUTH_TOKEN_CLASSES=("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken"),
        **(ROTATION if rotation else {}),
    ):
        old, old_sliding = pair(api), sliding(api)
        assert claims(old["access"])["user_pk"] == str(user.pk)
        assert claims(old["refresh"])["user_pk"] == str(user.pk)
        assert stateless(api, old["access"]).status_code == 200
        old_pk = user.pk
        user.delete()
        newcomer = User.objects.create_user("alice", password=PASSWORD)
        assert newcomer.pk != old_pk  # primary keys are not reused; usernames are
        assert refresh(api, old["refresh"]).status_code == 401
        assert (verify(api, old["access"]).status_code, code(verify(api, old["access"]))) == (401, "no_active_account")
        assert sliding_refresh(api, old_sliding).status_code == 401
        assert (me(api, old["access"]).status_code, code(me(api, old["access"]))) == (401, "user_not_found")
        assert me(api, old_sliding).status_code == 401
        if cache is not None:
            answer = stateless(api, old["access"])
            assert (answer.status_code, code(answer)) == (401, "user_not_found"), answer.data
        # The newcomer's own tokens work everywhere.
        new, new_sliding = pair(api), sliding(api)
        assert claims(new["access"])["user_pk"] == str(newcomer.pk)
        assert me(api, new["access"]).status_code == 200
        assert stateless(api, new["access"]).status_code == 200
        assert verify(api, new["access"]).status_code == 200
        assert refresh(api, new["refresh"]).status_code == 200
        assert sliding_refresh(api, new_sliding).status_code == 200


def test_a_renamed_accounts_old_username_taken_by_another(api, user, cache):
    """A renames itself; B takes A's old username: A's tokens name neither B nor (by username) A any more."""
    with simple_jwt(USER_ID_FIELD="username", POLICY_CACHE=cache):
        old = pair(api)
        user.username = "alicia"
        user.save()
        User.objects.create_user("alice", password=PASSWORD)
        assert (me(api, old["access"]).status_code, code(me(api, old["access"]))) == (401, "user_not_found")
        assert refresh(api, old["refresh"]).status_code == 401
        assert verify(api, old["access"]).status_code == 401
        if cache is not None:
            assert stateless(api, old["access"]).status_code == 401
        assert me(api, pair(api, "alicia")["access"]).data["username"] == "alicia"


def test_a_token_without_the_pk_claim_names_no_account(api, user, cache):
    """Tokens minted before the claim existed (or by upstream's classes) are refused: secure by default."""
    with simple_jwt(USER_ID_FIELD="username", POLICY_CACHE=cache):
        legacy = RefreshToken.for_user(user)
        del legacy["user_pk"]
        access = legacy.access_token
        assert "user_pk" not in access.payload
        assert refresh(api, str(legacy)).status_code == 401
        assert verify(api, str(access)).status_code == 401
        assert (me(api, str(access)).status_code, code(me(api, str(access)))) == (401, "user_not_found")
        if cache is not None:
            assert stateless(api, str(access)).status_code == 401
        forged = RefreshToken.for_user(user)
        forged["user_pk"] = str(user.pk + 1)  # another account's key
        assert refresh(api, str(forged)).status_code == 401
        assert me(api, str(forged.access_token)).status_code == 401


def test_the_pk_claim_only_where_the_id_field_is_not_the_key(api, user):
    assert "user_pk" not in claims(pair(api)["access"])  # USER_ID_FIELD "id": tokens as upstream's
    with simple_jwt(USER_ID_FIELD="username", USER_PK_CLAIM=None):  # opted out: upstream's binding by username
        tokens = pair(api)
        assert "user_pk" not in claims(tokens["access"])
        assert me(api, tokens["access"]).status_code == 200
    with simple_jwt(USER_ID_FIELD="username", USER_PK_CLAIM="acct"):
        tokens = pair(api)
        assert claims(tokens["refresh"])["acct"] == str(user.pk)
        assert refresh(api, tokens["refresh"]).status_code == 200


def test_tokens_with_the_pk_claim_stay_upstream_decodable(api, user):
    from rest_framework_simplejwt.tokens import AccessToken as UpstreamAccessToken

    with simple_jwt(USER_ID_FIELD="username"):
        tokens = pair(api)
        decoded = jwt.decode(tokens["access"], jwt_settings.get("SIGNING_KEY"), algorithms=["HS256"])
        assert decoded["user_id"] == "alice" and decoded["user_pk"] == str(user.pk)
        assert UpstreamAccessToken(tokens["access"])["user_pk"] == str(user.pk)


# --- item 13: one rule for the mark, and a login right after the revocation ------------------------------


def judge_everywhere(api, tokens, cache):
    """(refresh, verify of the access token, each authentication class's answer) status codes."""
    return (
        refresh(api, tokens["refresh"]).status_code,
        verify(api, tokens["access"]).status_code,
        *(answer.status_code for answer in authenticate(api, tokens["access"], cache)),
    )


TIMINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Offsets (in microseconds) into a whole second: before the revocation, the revocation, after it.
offset = st.integers(min_value=0, max_value=2_999_999)


@pytest.mark.parametrize("rotation", [True, False], ids=["rotation", "no-rotation"])
@TIMINGS
@given(times=st.lists(offset, min_size=3, max_size=3, unique=True).map(sorted))
@example(times=[0, 1, 2])  # the three in the same second, a microsecond apart
@example(times=[999_998, 999_999, 1_000_000])  # the login in the next second
@example(times=[0, 999_999, 1_000_000])
def test_tokens_before_the_mark_are_refused_alike_and_a_login_after_it_works(
    api, clock, cache, rotation, times, django_user_model
):
    before, revoked, after = (t / 1_000_000 for t in times)
    name = f"u{time.perf_counter_ns()}"
    user = django_user_model.objects.create_user(name, password=PASSWORD)
    base = float(int(clock.now))
    with simple_jwt(POLICY_CACHE=cache, **(ROTATION if rotation else {})):
        clock.now = base + before
        old = pair(api, name)
        clock.now = base + revoked
        revoke_user_tokens(user)
        clock.now = base + after
        new = pair(api, name)
        everywhere = 2 + (0 if cache is None else 2)
        assert judge_everywhere(api, old, cache) == (401,) * everywhere
        assert code(verify(api, old["access"])) == "token_family_revoked"
        assert judge_everywhere(api, new, cache) == (200,) * everywhere
        # The successor minted from the new refresh token in that second too.
        again = refresh(api, new["refresh"] if not rotation else pair(api, name)["refresh"])
        assert again.status_code == 200, again.data
        assert me(api, again.data["access"]).status_code == 200
        assert verify(api, again.data["access"]).status_code == 200


@pytest.mark.parametrize(
    ("iat", "mark", "seen", "revoked"),
    [
        (100, None, None, False),
        (100, 99.999999, None, False),
        (100, 100.0, None, True),
        (100, 100.5, None, True),
        (101, 100.5, None, False),
        (100, 100.5, 100_500_000, False),  # minted after this very mark
        (100, 100.5, 100_499_999, True),  # after an earlier mark of the same second
        (100, 100.5, True, True),
        (100, 100.5, 100_500_000.0, True),  # only what for_user writes: an integer
        ("100", 100.5, None, True),
        (None, 100.5, None, True),
        (100, float("nan"), None, True),
        (100, "100", None, True),
    ],
)
def test_the_one_rule(iat, mark, seen, revoked):
    claims = {"iat": iat, **({} if seen is None else {policy.AFTER_REVOCATION_CLAIM: seen})}
    assert policy.revoked_by_mark(claims, mark) is revoked


def test_the_claim_is_written_only_in_the_revocations_second(api, user, clock):
    assert policy.AFTER_REVOCATION_CLAIM not in claims(pair(api)["access"])  # no mark: tokens as upstream's
    clock.advance(0.25)
    revoke_user_tokens(user)
    clock.advance(0.5)
    access = pair(api)["access"]
    assert claims(access)[policy.AFTER_REVOCATION_CLAIM] == round((clock.now - 0.5) * 1_000_000)
    clock.advance(1)
    assert policy.AFTER_REVOCATION_CLAIM not in claims(pair(api)["access"])
