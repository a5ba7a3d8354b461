"""Refusal reasons of the project's own, and "log out everywhere" (issue 12, items 2 and 3)."""

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from simplejwt_rs import revoke_user_tokens
from simplejwt_rs.admin import RotatedRefreshTokenAdmin
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken
from simplejwt_rs.signals import user_tokens_revoked
from simplejwt_rs.views import RevokeUserTokensView

from tests.django.helpers import PASSWORD, code, logout, me, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
LOCKING = {"USER_AUTHENTICATION_RULE": "tests.django.helpers.locked_refuses"}


def assert_locked(response):
    assert (response.status_code, code(response)) == (401, "account_locked"), response.data
    assert str(response.data["detail"]) == "This account is locked."


@pytest.mark.parametrize("settings_changes", [LOCKING, {**LOCKING, **ROTATING}], ids=["default", "rotating"])
def test_a_rules_own_refusal_reaches_every_entry_point(api, user, locked_group, settings_changes):
    with simple_jwt(**settings_changes):
        pair = obtain(api).data
        sliding = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json").data
        user.groups.add(locked_group)
        assert_locked(obtain(api))
        assert_locked(refresh(api, pair["refresh"]))
        assert_locked(verify(api, pair["access"]))
        assert_locked(me(api, pair["access"]))
        assert_locked(api.post("/api/token/sliding/refresh/", {"token": sliding["token"]}, format="json"))
        assert not RotatedRefreshToken.objects.exists()  # refused before anything is consumed
        user.groups.remove(locked_group)
        assert refresh(api, pair["refresh"]).status_code == 200


def test_a_falsy_rule_keeps_upstreams_codes(api, user):
    with simple_jwt(**LOCKING):
        pair = obtain(api).data
        user.is_active = False
        user.save()
        assert code(refresh(api, pair["refresh"])) == "no_active_account"
        assert code(me(api, pair["access"])) == "user_inactive"
        assert code(obtain(api)) == "no_active_account"


def family_of_pairs(api, rotations):
    pair = obtain(api).data
    chain = [pair]
    for _ in range(rotations):
        chain.append(refresh(api, chain[-1]["refresh"]).data)
    return chain


@pytest.mark.parametrize("families", [1, 6])
def test_revoke_user_tokens_takes_three_statements_whatever_their_number(api, user, families):
    other = User.objects.create_user("bob", password=PASSWORD)
    with simple_jwt(**ROTATING):
        chains = [family_of_pairs(api, rotations=i % 3) for i in range(families)]
        bobs = obtain(api, username="bob").data
        before = set(OutstandingToken.objects.filter(user=user).values_list("id", flat=True))
        received = []
        user_tokens_revoked.connect(lambda sender, **kw: received.append(kw["user"]), weak=False)
        with CaptureQueriesContext(connection) as queries:
            revoke_user_tokens(user)
        statements = [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
        assert len(statements) == 3, statements  # blacklist, revoke the families, the "revoked before" mark
        assert received[-1] == user
        for chain in chains:
            newest = chain[-1]
            assert refresh(api, newest["refresh"]).status_code == 401
            assert code(verify(api, newest["access"])) == "token_family_revoked"
        assert refresh(api, bobs["refresh"]).status_code == 200  # another user's tokens live
        assert refresh(api, obtain(api).data["refresh"]).status_code == 200  # a new login works
    assert set(BlacklistedToken.objects.filter(token__user=user).values_list("token_id", flat=True)) >= before
    assert BlacklistedToken.objects.filter(token__user=other).count() == 1  # only the one bob rotated


def test_revoke_user_tokens_without_rotation_blacklists(api, user):
    pair = obtain(api).data
    revoke_user_tokens(user)
    response = refresh(api, pair["refresh"])
    assert (response.status_code, str(response.data["detail"])) == (401, "Token is blacklisted")


def test_the_management_command(api, user, capsys):
    with simple_jwt(**ROTATING):
        pair = obtain(api).data
        call_command("revoke_user_tokens", str(user.pk))
        assert f"user {user.pk}" in capsys.readouterr().out
        assert refresh(api, pair["refresh"]).status_code == 401
    with pytest.raises(CommandError, match="no single user"):
        call_command("revoke_user_tokens", "01")  # ids match exactly, as in tokens


def test_the_endpoint_logs_the_requesting_user_out_everywhere(api, user):
    with simple_jwt(**ROTATING):
        first, second = obtain(api).data, obtain(api).data
        view = RevokeUserTokensView.as_view()
        request = RequestFactory().post("/logout-everywhere/", HTTP_AUTHORIZATION=f"Bearer {first['access']}")
        response = view(request)
        assert response.status_code == 204
        assert refresh(api, first["refresh"]).status_code == 401
        assert refresh(api, second["refresh"]).status_code == 401
        anonymous = view(RequestFactory().post("/logout-everywhere/"))
        assert anonymous.status_code == 401


def test_the_admin_action_revokes_the_selected_families(api, user):
    with simple_jwt(**ROTATING):
        pairs = [family_of_pairs(api, rotations=1) for _ in range(2)]
        admin = RotatedRefreshTokenAdmin(RotatedRefreshToken, AdminSite())
        told = []
        admin.message_user = lambda request, message, level=None: told.append(message)
        first_family = RotatedRefreshToken.objects.filter(jti=refresh_jti(pairs[0][-1]["refresh"]))
        admin.revoke_families(RequestFactory().post("/admin/"), first_family)
        assert told == ["Revoked 1 token family."]
        assert code(refresh(api, pairs[0][-1]["refresh"])) == "token_family_revoked"
        assert refresh(api, pairs[1][-1]["refresh"]).status_code == 200
        assert RevokedTokenFamily.objects.count() == 1
    assert not admin.has_add_permission(None) and not admin.has_change_permission(None)


def test_logout_endpoint_still_single_token(api, user):
    with simple_jwt(**ROTATING):
        first, second = obtain(api).data, obtain(api).data
        assert logout(api, first["refresh"]).status_code == 200
        assert refresh(api, second["refresh"]).status_code == 200


def refresh_jti(token):
    from simplejwt_rs.tokens import RefreshToken

    return RefreshToken(token, verify=False)["jti"]
