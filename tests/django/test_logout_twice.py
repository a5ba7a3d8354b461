"""A logout of a refresh token already logged out is refused, as upstream 5.5.1 refuses it (issue 23 leftover).

Without single-use rotation the logout view blacklisted idempotently and answered 200 again; upstream's
serializer builds ``RefreshToken(raw)``, whose blacklist check says "Token is blacklisted" (401
``token_not_valid``).  With single-use rotation a second logout is a reuse (``token_reused``), unchanged.
"""

import pytest
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt.exceptions import TokenError
from simplejwt_rs import serializers, upstream_patch
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import code, simple_jwt

pytestmark = pytest.mark.django_db

LOGOUT = "/api/token/blacklist/"


@pytest.mark.parametrize("rotate", [False, True], ids=["no-rotation", "rotation-without-blacklist"])
def test_a_second_logout_is_a_401_token_is_blacklisted(api, user, rotate):
    with simple_jwt(ROTATE_REFRESH_TOKENS=rotate, BLACKLIST_AFTER_ROTATION=False):
        refresh = str(RefreshToken.for_user(user))
        assert api.post(LOGOUT, {"refresh": refresh}, format="json").status_code == 200
        again = api.post(LOGOUT, {"refresh": refresh}, format="json")
    assert again.status_code == 401 and code(again) == "token_not_valid", again.data
    assert str(again.data["detail"]) == "Token is blacklisted"


def test_ours_answers_as_upstreams_serializer(user):
    """The same refusal as upstream 5.5.1's own serializer (the patch is off in this suite)."""
    assert not upstream_patch.applied()
    with simple_jwt(ROTATE_REFRESH_TOKENS=False, BLACKLIST_AFTER_ROTATION=False):
        refresh = str(RefreshToken.for_user(user))
        assert serializers.TokenBlacklistSerializer(data={"refresh": refresh}).is_valid()
        for serializer_class in (up_serializers.TokenBlacklistSerializer, serializers.TokenBlacklistSerializer):
            with pytest.raises(TokenError, match="Token is blacklisted"):
                serializer_class(data={"refresh": refresh}).is_valid()


def test_under_the_patch_upstreams_serializer_refuses_it_too(user):
    with simple_jwt(ROTATE_REFRESH_TOKENS=False, BLACKLIST_AFTER_ROTATION=False, PATCH_UPSTREAM_CLASSES=True):
        assert upstream_patch.applied()
        refresh = str(RefreshToken.for_user(user))
        assert up_serializers.TokenBlacklistSerializer(data={"refresh": refresh}).is_valid()
        with pytest.raises(TokenError, match="Token is blacklisted"):
            up_serializers.TokenBlacklistSerializer(data={"refresh": refresh}).is_valid()
    assert not upstream_patch.applied()


def test_blacklist_on_the_token_stays_idempotent_as_upstreams(user):
    """``Token.blacklist()`` (upstream's API, dj-rest-auth's logout) returns (row, created) as upstream's does."""
    with simple_jwt(ROTATE_REFRESH_TOKENS=False, BLACKLIST_AFTER_ROTATION=False):
        token = RefreshToken.for_user(user)
        first, created = token.blacklist()
        again, created_again = token.blacklist()
    assert created and not created_again and first.pk == again.pk
