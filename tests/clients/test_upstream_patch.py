"""PATCH_UPSTREAM_CLASSES on its own: upstream's classes used directly, and no loop through super()."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt.exceptions import TokenError
from simplejwt_rs import authentication, serializers, tokens, upstream_patch
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken

from tests.clients.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


def test_upstream_authentication_applies_the_rule(alice):
    access = up_tokens.AccessToken.for_user(alice)
    assert type(access) is tokens.AccessToken
    auth = up_auth.JWTAuthentication()
    assert auth.get_user(auth.get_validated_token(str(access).encode())) == alice
    alice.groups.add(Group.objects.create(name="locked"))
    with pytest.raises(AuthenticationFailed) as refused:
        auth.get_user(auth.get_validated_token(str(access).encode()))
    assert refused.value.detail["code"] == "user_inactive"


def test_upstream_refresh_serializer_rotates_once(alice):
    refresh = str(up_serializers.TokenObtainPairSerializer.get_token(alice))
    first = up_serializers.TokenRefreshSerializer(data={"refresh": refresh})
    assert first.is_valid(), first.errors
    assert RotatedRefreshToken.objects.count() == 1
    again = up_serializers.TokenRefreshSerializer(data={"refresh": refresh})
    with pytest.raises(AuthenticationFailed) as reused:
        again.is_valid()
    assert reused.value.get_codes() == "token_reused"


def test_upstream_obtain_serializer_applies_the_rule(alice):
    alice.groups.add(Group.objects.create(name="locked"))
    obtain = up_serializers.TokenObtainPairSerializer(data={"username": "alice", "password": PASSWORD})
    with pytest.raises(AuthenticationFailed):
        obtain.is_valid()


def test_upstream_methods_reached_from_ours_run_upstreams_code(alice):
    """super() from one of ours lands in upstream's original, never back in ours (no loop)."""
    access = tokens.AccessToken.for_user(alice)
    ours = authentication.JWTAuthentication()
    assert up_auth.JWTAuthentication.get_user(ours, access) == alice  # upstream's own lookup
    verify = serializers.TokenVerifySerializer(data={"token": str(access)})
    assert up_serializers.TokenVerifySerializer.validate(verify, {"token": str(access)}) == {}

    class Verify(serializers.TokenVerifySerializer):
        def validate(self, attrs):
            return super().validate(attrs)

    assert Verify(data={"token": str(access)}).is_valid()


def test_project_subclasses_of_upstream_tokens_keep_their_class(alice):
    class ProjectAccess(up_tokens.AccessToken):
        pass

    assert type(ProjectAccess()) is ProjectAccess
    assert type(ProjectAccess.for_user(alice)) is ProjectAccess
    assert upstream_patch.our_token_class(ProjectAccess) is ProjectAccess


def test_upstream_blacklist_logs_out_through_the_store_for_a_project_subclass(alice):
    """A project's own subclass of upstream's RefreshToken keeps its class, and its blacklist() is ours."""

    class ProjectRefresh(up_tokens.RefreshToken):
        pass

    token = ProjectRefresh.for_user(alice)
    assert type(token) is ProjectRefresh
    row, created = token.blacklist()
    assert (row.token.jti, created) == (token["jti"], True)
    assert RotatedRefreshToken.objects.filter(parent_jti=token["jti"], logged_out=True).exists()
    with pytest.raises(TokenError, match="already used"):  # consumed once: the second is a reuse
        token.blacklist()
    assert RevokedTokenFamily.objects.filter(family=token["jti"]).exists()
    # Reached from one of ours through super(), upstream's own blacklist() runs (get_or_create).
    ours = tokens.RefreshToken.for_user(alice)
    assert up_tokens.BlacklistMixin.blacklist(ours)[1] is True
    assert not RotatedRefreshToken.objects.filter(parent_jti=ours["jti"]).exists()
