"""PATCH_UPSTREAM_CLASSES on its own: upstream's classes used directly, and no loop through super()."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt.exceptions import TokenError
from simplejwt_rs import authentication, serializers, tokens, upstream_patch
from simplejwt_rs.errors import DatabaseUnavailable
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken

from tests.clients.helpers import PASSWORD
from tests.django.helpers import database_down

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


# --- upstream's JWTStatelessUserAuthentication (issue 19, item 6) --------------------------------------------


@pytest.fixture
def policy_cache_on(settings):
    """POLICY_CACHE on a LocMemCache (the cache itself is tested on Redis in tests/django/test_policy_cache.py)."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "policy": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "upstream-patch-policy"},
    }
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "POLICY_CACHE": "policy"}
    caches["policy"].clear()
    yield
    caches["policy"].clear()


def _stateless_user(cls, token):
    """What upstream's ``authenticate`` does with a request carrying ``token``: (user, token) or the refusal."""
    from rest_framework.test import APIRequestFactory

    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    try:
        return cls().authenticate(request)[0]
    except AuthenticationFailed as refused:
        return refused.detail["code"]


@pytest.mark.parametrize("cls", [up_auth.JWTStatelessUserAuthentication, up_auth.JWTTokenUserAuthentication])
def test_upstream_stateless_authentication_applies_the_cached_policy(
    alice, policy_cache_on, cls, django_capture_on_commit_callbacks
):
    from simplejwt_rs import revoke_user_tokens

    access = up_tokens.AccessToken.for_user(alice)
    assert str(_stateless_user(cls, access).id) == str(alice.pk)
    alice.is_active = False
    alice.save()
    assert _stateless_user(cls, access) == "user_inactive"
    alice.is_active = True
    alice.save()
    assert str(_stateless_user(cls, access).id) == str(alice.pk)
    alice.groups.add(Group.objects.create(name="locked"))  # the project's rule, with its cached verdict
    assert _stateless_user(cls, access) == "user_inactive"
    alice.groups.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revoke_user_tokens(alice)  # "log out everywhere"
    assert _stateless_user(cls, access) == "token_family_revoked"


def test_the_checks_read_the_patchs_list():
    """One list: the checks know exactly the upstream classes and methods the opt-in replaces."""
    from simplejwt_rs import checks

    assert {base: methods for base, (_ours, methods) in upstream_patch.ROUTED.items()} == checks.UPSTREAM_BASES
    assert set(checks.OURS) == {ours for ours, _methods in upstream_patch.ROUTED.values()}
    assert up_auth.JWTStatelessUserAuthentication in upstream_patch.ROUTED
    routed = {(base, name) for base, (_ours, methods) in upstream_patch.ROUTED.items() for name in methods}
    patched = {key for key in upstream_patch._originals if not issubclass(key[0], (up_tokens.Token,))}
    patched -= {(up_tokens.BlacklistMixin, "blacklist")}
    assert patched == routed  # apply() replaced exactly what the list names, nothing it does not
    for base, name in routed:
        assert getattr(base.__dict__[name], "__simplejwt_rs_routed__", False) or name == "get_token"


def test_the_checks_report_what_the_patch_does_not_route(settings, monkeypatch):
    """With the opt-in, upstream's stateless class passes the checks because the patch routes it; a patch
    that did not would leave it skipping the policy, and the checks, reading the same list, then say so."""
    from collections import Counter

    from simplejwt_rs.checks import check_classes, check_routes

    settings.ROOT_URLCONF = "tests.clients.urls_stateless"
    stateless = "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": [stateless]}

    def ids():
        return Counter(message.id for check in (check_classes, check_routes) for message in check())

    assert upstream_patch.applied() and ids() == Counter()
    unrouted = {k: v for k, v in upstream_patch.ROUTED.items() if k is not up_auth.JWTStatelessUserAuthentication}
    upstream_patch.remove()
    monkeypatch.setattr(upstream_patch, "ROUTED", unrouted)
    upstream_patch.apply()
    try:
        assert ids() == Counter({"simplejwt_rs.E011": 1, "simplejwt_rs.E014": 1})
    finally:
        upstream_patch.remove()
        monkeypatch.undo()
        upstream_patch.apply()
    assert ids() == Counter()


@pytest.mark.django_db(transaction=True)
def test_upstream_classes_answer_a_database_outage_as_ours_do(alice):
    """Routed to ours, upstream's authentication and serializers meet an outage with ours: a 503 with a code."""
    access = up_tokens.AccessToken.for_user(alice)
    refresh = str(up_serializers.TokenObtainPairSerializer.get_token(alice))
    auth = up_auth.JWTAuthentication()
    validated = auth.get_validated_token(str(access).encode())
    with database_down():
        with pytest.raises(DatabaseUnavailable) as outage:
            auth.get_user(validated)
        assert outage.value.status_code == 503 and outage.value.get_codes() == "database_unavailable"
        for serializer in (
            up_serializers.TokenRefreshSerializer(data={"refresh": refresh}),
            up_serializers.TokenObtainPairSerializer(data={"username": "alice", "password": PASSWORD}),
        ):
            with pytest.raises(DatabaseUnavailable):
                serializer.is_valid()
    assert up_serializers.TokenRefreshSerializer(data={"refresh": refresh}).is_valid()  # nothing was consumed


def test_the_patch_routes_exactly_the_registrys_methods_and_the_checks_know_each(settings):
    """The registry's ``routed`` column is what apply() replaces, tokens included, and what routes() says."""
    from simplejwt_rs import registry

    assert upstream_patch.applied()
    listed = {(registry.resolve(pair.upstream), name) for pair in registry.PAIRS for name in pair.routed}
    assert "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS  # (else no blacklist to route)
    assert set(upstream_patch._originals) == listed
    assert all(upstream_patch.routes(owner, name) for owner, name in listed)
    assert not upstream_patch.routes(up_auth.JWTAuthentication, "authenticate")
    assert {registry.resolve(pair.upstream) for pair in registry.PAIRS if "for_user" in pair.routed} == set(
        upstream_patch.TOKEN_CLASSES
    )
