"""The whole story through real URL routes, and the user policy at every entry point."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.django.helpers import PASSWORD, code, me, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db


def test_story_obtain_use_refresh_then_deactivate(api, user):
    pair = obtain(api)
    assert pair.status_code == 200, pair.data
    assert set(pair.data) == {"access", "refresh"}

    assert me(api, pair.data["access"]).data == {"username": "alice", "token_type": "access"}

    refreshed = refresh(api, pair.data["refresh"])
    assert refreshed.status_code == 200
    assert me(api, refreshed.data["access"]).status_code == 200

    user.is_active = False
    user.save()

    response = refresh(api, pair.data["refresh"])
    assert (response.status_code, code(response)) == (401, "no_active_account")
    assert str(response.data["detail"]) == "No active account found for the given token."

    response = me(api, refreshed.data["access"])
    assert (response.status_code, code(response)) == (401, "user_inactive")

    response = verify(api, refreshed.data["access"])
    assert (response.status_code, code(response)) == (401, "no_active_account")
    # the refresh token names the user too
    assert verify(api, pair.data["refresh"]).status_code == 401
    assert obtain(api).status_code == 401


def test_deleted_user_is_401_everywhere_not_404(api, user):
    pair = obtain(api).data
    user.delete()

    response = refresh(api, pair["refresh"])
    assert (response.status_code, code(response)) == (401, "no_active_account")
    response = me(api, pair["access"])
    assert (response.status_code, code(response)) == (401, "user_not_found")
    response = verify(api, pair["access"])
    assert (response.status_code, code(response)) == (401, "no_active_account")


@simple_jwt(
    USER_AUTHENTICATION_RULE="tests.django.helpers.not_locked",
    AUTH_TOKEN_CLASSES=("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken"),
)
def test_custom_rule_refused_at_every_entry_point(api, user, locked_group):
    pair = obtain(api).data
    sliding = obtain(api, url="/api/token/sliding/").data["token"]
    assert me(api, pair["access"]).status_code == 200
    assert me(api, sliding).status_code == 200

    user.groups.add(locked_group)  # still is_active: upstream's JWTAuthentication would let this through

    assert (obtain(api).status_code, code(obtain(api))) == (401, "no_active_account")
    assert obtain(api, url="/api/token/sliding/").status_code == 401
    assert code(refresh(api, pair["refresh"])) == "no_active_account"
    assert refresh(api, pair["refresh"]).status_code == 401
    response = api.post("/api/token/sliding/refresh/", {"token": sliding}, format="json")
    assert (response.status_code, code(response)) == (401, "no_active_account")
    assert (verify(api, pair["access"]).status_code, code(verify(api, pair["access"]))) == (401, "no_active_account")
    assert (me(api, pair["access"]).status_code, code(me(api, pair["access"]))) == (401, "user_inactive")
    assert me(api, sliding).status_code == 401

    user.groups.clear()
    assert refresh(api, pair["refresh"]).status_code == 200


@simple_jwt(CHECK_REVOKE_TOKEN=True)
def test_password_change_revokes_and_blacklists_the_refresh_token(api, user):
    pair = obtain(api).data
    assert me(api, pair["access"]).status_code == 200

    user.set_password("a brand new password")
    user.save()

    response = refresh(api, pair["refresh"])
    assert (response.status_code, code(response)) == (401, "password_changed")
    jti = refresh_jti(pair["refresh"])
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    # Once blacklisted it stays refused even if the old password came back.
    user.set_password(PASSWORD)
    user.save()
    response = refresh(api, pair["refresh"])
    assert (response.status_code, str(response.data["detail"])) == (401, "Token is blacklisted")

    user.set_password("a brand new password")
    user.save()
    response = me(api, pair["access"])
    assert (response.status_code, code(response)) == (401, "password_changed")
    response = verify(api, pair["access"])
    assert (response.status_code, code(response)) == (401, "password_changed")

    fresh = obtain(api, password="a brand new password").data
    assert me(api, fresh["access"]).status_code == 200
    assert refresh(api, fresh["refresh"]).status_code == 200


def refresh_jti(token):
    from simplejwt_rs.tokens import RefreshToken

    return RefreshToken(token, verify=False)["jti"]


@simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)
def test_rotation_with_blacklist_is_single_use_and_reuse_revokes_the_family(api, user):
    first = obtain(api).data["refresh"]
    rotated = refresh(api, first)
    assert rotated.status_code == 200
    second = rotated.data["refresh"]
    assert second != first
    assert OutstandingToken.objects.filter(jti=refresh_jti(second), user=user).exists()
    assert BlacklistedToken.objects.filter(token__jti=refresh_jti(first)).exists()
    assert verify(api, second).status_code == 200

    replay = refresh(api, first)  # upstream: 401 "Token is blacklisted", and `second` lives on
    assert (replay.status_code, code(replay)) == (401, "token_reused")
    assert code(verify(api, first)) == "token_family_revoked"
    response = refresh(api, second)
    assert (response.status_code, code(response)) == (401, "token_family_revoked")
    assert BlacklistedToken.objects.filter(token__jti=refresh_jti(second)).exists()
    assert verify(api, second).status_code == 401
    # a new login starts a new family
    assert refresh(api, obtain(api).data["refresh"]).status_code == 200


@simple_jwt(ROTATE_REFRESH_TOKENS=True)
def test_rotation_without_blacklisting_keeps_old_token_usable_as_upstream(api, user):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data["refresh"]
    assert refresh(api, first).status_code == 200
    assert OutstandingToken.objects.filter(jti=refresh_jti(second)).exists()
    assert not BlacklistedToken.objects.exists()


def test_blacklist_endpoint_then_refresh_and_verify_refuse(api, user):
    token = obtain(api).data["refresh"]
    assert api.post("/api/token/blacklist/", {"refresh": token}, format="json").status_code == 200
    assert refresh(api, token).status_code == 401
    response = verify(api, token)
    assert (response.status_code, str(response.data["detail"])) == (401, "Token is blacklisted")
