"""Reuse detection sees every use of a consumed refresh token: refresh, logout and verify, racing or not.

Runs on SQLite and, under `make test-pg`, on PostgreSQL.
"""

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from simplejwt_rs import policy, store
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import code, interleaved, logout, me, obtain, refresh, simple_jwt, together, verify

pytestmark = pytest.mark.django_db

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def jti(token):
    return RefreshToken(token, verify=False)["jti"]


def test_victim_logging_out_with_a_token_the_thief_rotated_revokes_the_thiefs_successor(
    api, user, rotating, reused_signals
):
    stolen = obtain(api).data["refresh"]
    thiefs = refresh(APIClient(), stolen).data  # the thief refreshes first

    response = logout(api, stolen)  # the victim logs out with the token the thief consumed
    assert (response.status_code, code(response)) == (401, "token_reused")
    assert RevokedTokenFamily.objects.filter(family=jti(stolen)).exists()
    assert code(refresh(APIClient(), thiefs["refresh"])) == "token_family_revoked"
    assert code(verify(APIClient(), thiefs["access"])) == "token_family_revoked"
    assert [(s["user"], s["jti"]) for s in reused_signals] == [(user, jti(stolen))]


@simple_jwt(**ROTATING, REFRESH_TOKEN_REUSE_GRACE_SECONDS=60)
def test_logout_with_a_rotated_token_revokes_even_within_the_grace_period(api, user, clock):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data["refresh"]
    assert code(refresh(api, first)) == "token_already_rotated"  # a refresh retry gets the grace
    assert code(logout(api, first)) == "token_reused"  # a logout asks for the session to end
    assert code(refresh(api, second)) == "token_family_revoked"


def test_verify_of_a_rotated_refresh_token_is_a_reuse(api, user, rotating, reused_signals):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data
    response = verify(api, first)
    assert (response.status_code, code(response)) == (401, "token_reused")
    assert code(refresh(api, second["refresh"])) == "token_family_revoked"
    assert len(reused_signals) == 1


def test_logout_consumes_once(api, user, rotating):
    token = obtain(api).data["refresh"]
    assert logout(api, token).status_code == 200
    assert code(logout(api, token)) == "token_reused"
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(token), logged_out=True).count() == 1


def test_logout_without_rotation_blacklists_as_upstream(api, user):
    token = obtain(api).data["refresh"]
    assert logout(api, token).status_code == 200
    again = logout(api, token)  # upstream's RefreshToken(raw) refuses it before its idempotent blacklist()
    assert (again.status_code, code(again)) == (401, "token_not_valid")
    assert BlacklistedToken.objects.filter(token__jti=jti(token)).count() == 1
    assert not RotatedRefreshToken.objects.exists()


def test_access_token_of_a_revoked_family_is_worded_for_any_token(api, user, rotating):
    pair = obtain(api).data
    refresh(api, pair["refresh"])
    refresh(api, pair["refresh"])  # reuse: the family is revoked
    response = verify(api, pair["access"])
    assert (response.status_code, code(response)) == (401, "token_family_revoked")
    assert "refresh" not in str(response.data["detail"]).lower()


@pytest.mark.parametrize("renamed", ["fam", None])
def test_renaming_the_family_claim_cannot_save_a_later_generation(api, user, renamed):
    with simple_jwt(**ROTATING):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data["refresh"]
    with simple_jwt(**ROTATING, TOKEN_FAMILY_CLAIM=renamed):
        third = refresh(api, second).data["refresh"]
        assert code(refresh(api, second)) == "token_reused"  # the second generation comes back
        assert code(refresh(api, third)) == "token_family_revoked"
        assert BlacklistedToken.objects.filter(token__jti=jti(third)).exists()
    assert set(RotatedRefreshToken.objects.values_list("family", flat=True)) == {jti(first)}


# --- RefreshToken(raw).blacklist(): what dj-rest-auth's logout calls ---------------------------------


def test_blacklist_logs_out_through_the_store(api, user, rotating):
    token = obtain(api).data["refresh"]
    row, created = RefreshToken(token).blacklist()  # upstream's result: the BlacklistedToken row, created
    assert (row.token.jti, created) == (jti(token), True)
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(token), logged_out=True).count() == 1
    assert code(refresh(api, token)) == "token_reused"  # consumed, as by the logout endpoint


def test_building_a_token_the_thief_rotated_revokes_the_family(api, user, rotating, reused_signals):
    stolen = obtain(api).data["refresh"]
    thiefs = refresh(APIClient(), stolen).data
    with pytest.raises(TokenError, match="already used"):  # upstream's exception: callers catch it
        RefreshToken(stolen)  # dj-rest-auth's logout builds the token first, then blacklists it
    assert RevokedTokenFamily.objects.filter(family=jti(stolen)).exists()
    assert code(refresh(APIClient(), thiefs["refresh"])) == "token_family_revoked"
    assert [(s["user"], s["jti"]) for s in reused_signals] == [(user, jti(stolen))]
    with pytest.raises(TokenError, match="revoked token family"):
        RefreshToken(stolen)


def test_blacklist_after_a_refresh_won_revokes_the_successor(api, user, rotating, reused_signals):
    """The race, in order: the logout verified the token, a refresh consumed it, then the logout writes."""
    token = obtain(api).data["refresh"]
    verified = RefreshToken(token)
    successor = refresh(APIClient(), token).data
    with pytest.raises(TokenError, match="already used"):
        verified.blacklist()
    assert code(refresh(APIClient(), successor["refresh"])) == "token_family_revoked"
    assert code(verify(APIClient(), successor["access"])) == "token_family_revoked"
    assert len(reused_signals) == 1


def test_blacklist_without_rotation_is_upstreams(api, user):
    token = RefreshToken(obtain(api).data["refresh"])
    assert token.blacklist()[1] is True
    row, created = token.blacklist()  # idempotent: get_or_create
    assert (row.token.jti, created) == (token["jti"], False)
    with pytest.raises(TokenError, match="Token is blacklisted"):
        RefreshToken(str(token))
    assert not RotatedRefreshToken.objects.exists()


# --- logout racing a refresh of the same token ----------------------------------------------------


def assert_logout_means_logged_out(responses):
    """After any interleaving: either the logout failed, or no successor of the token is usable."""
    out, rotated = responses["logout"], responses["refresh"]
    assert out.status_code in (200, 401), out.data
    assert rotated.status_code in (200, 401), rotated.data
    assert out.status_code == 401 or rotated.status_code == 401, "both won"
    if rotated.status_code == 200:
        assert code(out) == "token_reused"
        with simple_jwt(**ROTATING):
            assert code(refresh(APIClient(), rotated.data["refresh"])) == "token_family_revoked"
            assert me(APIClient(), rotated.data["access"]).status_code in (200, 401)  # access: until it expires
            assert code(verify(APIClient(), rotated.data["access"])) == "token_family_revoked"


# (who pauses, where): before either consumes, and (PostgreSQL) the refresh inside its transaction.
INTERLEAVINGS = [
    ("refresh", policy, "token_user"),  # the refresh is past the user check; the logout runs
    ("logout", policy, "named_user"),  # the logout has verified the token; the refresh runs
    ("refresh", store, "record_outstanding"),  # the refresh has consumed, not yet committed
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("first", "module", "name"), INTERLEAVINGS, ids=[i[2] for i in INTERLEAVINGS])
def test_logout_racing_a_refresh_deterministic(user, monkeypatch, first, module, name):
    with simple_jwt(**ROTATING):
        token = obtain(APIClient()).data["refresh"]
        calls = {"refresh": lambda: refresh(APIClient(), token), "logout": lambda: logout(APIClient(), token)}
        other = "logout" if first == "refresh" else "refresh"
        paused, unpaused = interleaved(monkeypatch, (module, name), calls[first], calls[other])
        responses = {first: paused, other: unpaused}
    assert_logout_means_logged_out(responses)
    if name != "record_outstanding":
        # The paused one had not consumed: the other won, the paused one found the reuse.
        assert responses[other].status_code == 200 and code(responses[first]) == "token_reused"


@pytest.mark.django_db(transaction=True)
def test_logout_racing_a_refresh_forty_trials(user):
    outcomes = {"logout won": 0, "refresh won, then revoked": 0}
    for _ in range(40):
        with simple_jwt(**ROTATING):
            token = obtain(APIClient()).data["refresh"]
            rotated, out = together(lambda t=token: refresh(APIClient(), t), lambda t=token: logout(APIClient(), t))
        responses = {"refresh": rotated, "logout": out}
        assert_logout_means_logged_out(responses)
        outcomes["logout won" if out.status_code == 200 else "refresh won, then revoked"] += 1
    assert sum(outcomes.values()) == 40
    print(f"\nlogout vs refresh, 40 trials on {connection.vendor}: {outcomes}")
