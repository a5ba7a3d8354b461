"""dj-rest-auth 7.1.1 in JWT cookie mode, over DRF's test client, with PATCH_UPSTREAM_CLASSES on (and off).

dj-rest-auth authenticates with its ``JWTCookieAuthentication`` (upstream's
``JWTAuthentication`` subclassed) and refreshes with its
``CookieTokenRefreshSerializer`` (upstream's ``TokenRefreshSerializer``
subclassed); neither can be named ours by a settings line.  With the opt-in
they inherit ours: the user policy at every request and refresh, single-use
rotation, reuse detection and family revocation.  The tests with the opt-in
off show what lapses without it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core import checks
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from simplejwt_rs import policy, store, tokens, upstream_patch
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken

from tests.clients.helpers import ACCESS_COOKIE, LOGIN, LOGOUT, PASSWORD, REFRESH, REFRESH_COOKIE, USER, VERIFY, code
from tests.django.helpers import concurrent_refreshes, interleaved, together

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


def login(api: APIClient, username: str = "alice") -> dict:
    response = api.post(LOGIN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.data
    return response


def cookie(api_or_response, name: str) -> str:
    return api_or_response.cookies[name].value


def refresh(api: APIClient, token: str | None = None):
    """dj-rest-auth's refresh: the refresh cookie, or ``token`` in the body (which wins over the cookie)."""
    return api.post(REFRESH, {} if token is None else {"refresh": token}, format="json")


def jti(raw: str) -> str:
    return tokens.RefreshToken(raw, verify=False)["jti"]


def test_the_opt_in_is_applied_when_ready():
    assert upstream_patch.applied()
    # Upstream's classes keep their identity and public surface; their token paths are ours.
    assert up_auth.JWTAuthentication.get_user.__name__ == "get_user"
    assert isinstance(up_tokens.RefreshToken(), up_tokens.RefreshToken)
    assert type(up_tokens.RefreshToken()) is tokens.RefreshToken
    assert type(up_tokens.AccessToken()) is tokens.AccessToken


def test_login_use_refresh_rotates_replay_revokes_the_family(alice):
    api = APIClient()
    response = login(api)
    first_refresh = cookie(response, REFRESH_COOKIE)
    assert response.cookies[REFRESH_COOKIE]["httponly"] and response.cookies[ACCESS_COOKIE]["httponly"]
    assert response.data["refresh"] == ""  # HttpOnly mode: the refresh token only in its cookie
    # dj-rest-auth minted through upstream's TokenObtainPairSerializer.get_token: ours, with a family.
    assert tokens.RefreshToken(first_refresh)["token_family"] == jti(first_refresh)

    me = api.get(USER)  # the access cookie, through dj-rest-auth's JWTCookieAuthentication
    assert me.status_code == 200 and me.data["username"] == "alice"

    rotated = refresh(api)
    assert rotated.status_code == 200, rotated.data
    second_refresh = cookie(rotated, REFRESH_COOKIE)
    assert second_refresh != first_refresh and "refresh" not in rotated.data
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(first_refresh), jti=jti(second_refresh)).exists()
    assert api.get(USER).status_code == 200  # the new access cookie

    # The first refresh token again: a reuse, and its whole family is revoked.
    replay = refresh(APIClient(), first_refresh)
    assert replay.status_code == 401 and code(replay.data) == "token_reused", replay.data
    assert RevokedTokenFamily.objects.filter(family=jti(first_refresh)).exists()
    successor = refresh(api)  # the cookie holds the successor
    assert successor.status_code == 401 and code(successor.data) == "token_family_revoked", successor.data
    assert BlacklistedToken.objects.filter(token__jti=jti(second_refresh)).exists()
    # dj-rest-auth routes upstream's verify view; the app routes it to our serializer.
    assert api.post(VERIFY, {"token": second_refresh}, format="json").status_code == 401


@pytest.mark.parametrize("change", ["lock", "deactivate", "delete"])
def test_a_refused_user_can_neither_refresh_nor_use_the_cookie(alice, change):
    api = APIClient()
    login(api)
    assert api.get(USER).status_code == 200
    if change == "lock":
        alice.groups.add(Group.objects.create(name="locked"))
    elif change == "deactivate":
        alice.is_active = False
        alice.save()
    else:
        alice.delete()

    me = api.get(USER)
    assert me.status_code == 401, me.data
    assert code(me.data) == ("user_not_found" if change == "delete" else "user_inactive")
    refused = refresh(api)
    assert refused.status_code == 401 and code(refused.data) == "no_active_account", refused.data
    assert REFRESH_COOKIE not in refused.cookies or not refused.cookies[REFRESH_COOKIE].value


def test_a_password_change_revokes_the_cookie_tokens(alice):
    api = APIClient()
    with override_settings(SIMPLE_JWT={**_simple_jwt(), "CHECK_REVOKE_TOKEN": True}):
        login(api)
        assert api.get(USER).status_code == 200
        alice.set_password("another horse battery staple")
        alice.save()
        assert code(api.get(USER).data) == "password_changed"
        assert code(refresh(api).data) == "password_changed"


def test_logout_blacklists_the_refresh_cookie(alice):
    api = APIClient()
    login(api)
    token = cookie(api, REFRESH_COOKIE)
    assert api.post(LOGOUT).status_code == 200
    assert BlacklistedToken.objects.filter(token__jti=jti(token)).exists()
    assert refresh(APIClient(), token).status_code == 401


def _simple_jwt() -> dict:
    from django.conf import settings

    return dict(settings.SIMPLE_JWT)


def refresh_cookie(api: APIClient, token: str):
    """dj-rest-auth's refresh of ``token`` sent as the refresh cookie."""
    api.cookies[REFRESH_COOKIE] = token
    return refresh(api)


def logout_cookie(api: APIClient, token: str):
    """dj-rest-auth's logout with ``token`` as the refresh cookie: ``RefreshToken(token).blacklist()``."""
    api.cookies[REFRESH_COOKIE] = token
    return api.post(LOGOUT)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_refreshes_one_wins(alice, monkeypatch):
    token = cookie(login(APIClient()), REFRESH_COOKIE)
    responses = concurrent_refreshes(token, 8, monkeypatch, refresh_with=refresh_cookie)
    assert sorted(r.status_code for r in responses) == [200] + [401] * 7, [r.data for r in responses]
    assert {code(r.data) for r in responses if r.status_code == 401} <= {"token_reused", "token_family_revoked"}
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(token)).count() == 1


# --- dj-rest-auth's logout: RefreshToken(cookie), then .blacklist() --------------------------------------


def test_victim_logging_out_with_a_token_the_thief_rotated_revokes_the_family(alice):
    victim = APIClient()
    stolen = cookie(login(victim), REFRESH_COOKIE)
    thief = APIClient()
    assert refresh_cookie(thief, stolen).status_code == 200  # the thief rotates first
    thiefs_refresh, thiefs_access = cookie(thief, REFRESH_COOKIE), cookie(thief, ACCESS_COOKIE)

    out = victim.post(LOGOUT)  # the victim's cookie still holds the stolen, consumed token
    assert out.status_code == 401 and "already used" in str(out.data["detail"]), out.data
    assert out.cookies[REFRESH_COOKIE].value == "" and out.cookies[ACCESS_COOKIE].value == ""  # still unset
    assert RevokedTokenFamily.objects.filter(family=jti(stolen)).exists()
    successor = refresh(thief)
    assert successor.status_code == 401 and code(successor.data) == "token_family_revoked", successor.data
    assert code(thief.post(VERIFY, {"token": thiefs_access}, format="json").data) == "token_family_revoked"
    assert BlacklistedToken.objects.filter(token__jti=jti(thiefs_refresh)).exists()


def test_within_the_reuse_grace_the_logout_is_refused_and_revokes_nothing(alice):
    """As the README says: RefreshToken(cookie) refuses a just-rotated token as verify does, with the grace."""
    with override_settings(SIMPLE_JWT={**_simple_jwt(), "REFRESH_TOKEN_REUSE_GRACE_SECONDS": 60}):
        victim = APIClient()
        stolen = cookie(login(victim), REFRESH_COOKIE)
        thief = APIClient()
        assert refresh_cookie(thief, stolen).status_code == 200
        out = victim.post(LOGOUT)
        assert out.status_code == 401 and "just rotated" in str(out.data["detail"]), out.data
        assert not RevokedTokenFamily.objects.exists()
        assert refresh(thief).status_code == 200


def test_logout_consumes_the_cookie_once(alice):
    api = APIClient()
    token = cookie(login(api), REFRESH_COOKIE)
    assert api.post(LOGOUT).status_code == 200
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(token), logged_out=True).count() == 1
    again = refresh_cookie(APIClient(), token)
    assert again.status_code == 401 and code(again.data) == "token_reused", again.data


def assert_logged_out(out, rotated):
    """After any interleaving of dj-rest-auth's logout and refresh of one token: never both won."""
    assert out.status_code in (200, 401), out.data
    assert rotated.status_code in (200, 401), rotated.data
    assert out.status_code == 401 or rotated.status_code == 401, "both won"
    if rotated.status_code == 200:
        assert "already used" in str(out.data["detail"]), out.data  # the logout found the reuse
        successor = refresh_cookie(APIClient(), cookie(rotated, REFRESH_COOKIE))
        assert successor.status_code == 401 and code(successor.data) == "token_family_revoked", successor.data
        access = cookie(rotated, ACCESS_COOKIE)
        assert code(APIClient().post(VERIFY, {"token": access}, format="json").data) == "token_family_revoked"
    else:
        assert code(rotated.data) == "token_reused", rotated.data  # logged out first: the refresh is a reuse


# (who pauses, where): the refresh past its user check (not consumed); dj-rest-auth's logout between
# RefreshToken(cookie) and blacklist()'s write (blacklist() names the user first); the refresh consumed,
# not yet committed (the logout's write waits for it).
INTERLEAVINGS = [
    ("refresh", policy, "token_user"),
    ("logout", policy, "named_user"),
    ("refresh", store, "record_outstanding"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("first", "module", "name"), INTERLEAVINGS, ids=[i[2] for i in INTERLEAVINGS])
def test_logout_racing_a_refresh_deterministic(alice, monkeypatch, first, module, name):
    token = cookie(login(APIClient()), REFRESH_COOKIE)
    calls = {"refresh": lambda: refresh_cookie(APIClient(), token), "logout": lambda: logout_cookie(APIClient(), token)}
    other = "logout" if first == "refresh" else "refresh"
    paused, unpaused = interleaved(monkeypatch, (module, name), calls[first], calls[other])
    responses = {first: paused, other: unpaused}
    assert_logged_out(responses["logout"], responses["refresh"])
    if name != "record_outstanding":
        assert responses[other].status_code == 200  # the paused one had not consumed: the other won


@pytest.mark.django_db(transaction=True)
def test_logout_racing_a_refresh_repeated_trials(alice):
    outcomes = {"logout won": 0, "refresh won, then revoked": 0}
    for _ in range(30):
        token = cookie(login(APIClient()), REFRESH_COOKIE)
        rotated, out = together(
            lambda t=token: refresh_cookie(APIClient(), t), lambda t=token: logout_cookie(APIClient(), t)
        )
        assert_logged_out(out, rotated)
        outcomes["logout won" if out.status_code == 200 else "refresh won, then revoked"] += 1
    print(f"\ndj-rest-auth logout vs refresh, 30 trials: {outcomes}")
    assert all(outcomes.values()), outcomes  # the race happened: each side won at least once


def test_system_checks_are_clean_with_the_opt_in():
    ours = [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.id and m.id.startswith("simplejwt_rs.")]
    assert ours == []


# --- the same project without the opt-in: what lapses, and that `manage.py check` says so -----------------


@pytest.fixture
def opt_in_off():
    with override_settings(SIMPLE_JWT={**_simple_jwt(), "PATCH_UPSTREAM_CLASSES": False}):
        assert not upstream_patch.applied()
        yield
    assert upstream_patch.applied()


def test_without_the_opt_in_guarantees_lapse_and_check_reports_it(alice, opt_in_off):
    api = APIClient()
    login(api)
    first = cookie(api, REFRESH_COOKIE)
    assert refresh(api).status_code == 200
    replay = refresh(APIClient(), first)
    assert replay.status_code == 401 and code(replay.data) == "token_not_valid"  # blacklisted, nothing revoked
    assert not RevokedTokenFamily.objects.exists()
    assert refresh(api).status_code == 200  # the successor still works after a replay
    alice.groups.add(Group.objects.create(name="locked"))
    assert api.get(USER).status_code == 200  # upstream's get_user checks is_active only

    ids = {m.id for m in checks.run_checks(tags=[checks.Tags.security])}
    assert {"simplejwt_rs.E011", "simplejwt_rs.E013", "simplejwt_rs.E020"} <= ids


def test_patching_is_idempotent_and_reversible():
    names = upstream_patch.AUTHENTICATION_METHODS
    patched = {name: up_auth.JWTAuthentication.__dict__[name] for name in names}
    upstream_patch.apply()  # applied already (when ready): nothing changes
    assert {name: up_auth.JWTAuthentication.__dict__[name] for name in names} == patched
    with override_settings(SIMPLE_JWT={**_simple_jwt(), "PATCH_UPSTREAM_CLASSES": False}):
        upstream_patch.remove()  # removed already: nothing changes
        assert up_tokens.Token.__dict__["__new__"].__func__ is upstream_patch._plain_new
        assert type(up_tokens.RefreshToken()) is up_tokens.RefreshToken
        assert up_serializers.TokenRefreshSerializer.validate.__module__ == "rest_framework_simplejwt.serializers"
        assert not hasattr(up_serializers.TokenRefreshSerializer.validate, "__simplejwt_rs_routed__")
        for name in names:
            original = up_auth.JWTAuthentication.__dict__[name]
            assert original is not patched[name] and original.__qualname__ == f"JWTAuthentication.{name}"
    assert {name: up_auth.JWTAuthentication.__dict__[name] for name in names} != patched  # rebuilt, equivalent
    assert all(hasattr(up_auth.JWTAuthentication.__dict__[name], "__simplejwt_rs_routed__") for name in names)
