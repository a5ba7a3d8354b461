"""simplejwt 6.0's ``ON_LOGIN_SUCCESS``/``ON_LOGIN_FAILED`` hooks and plain codes, honoured on 5.x (issue 25, item 10).

Upstream's default branch calls ``ON_LOGIN_FAILED(credentials, request)`` (the password masked by
Django's ``_clean_credentials``) when obtain refuses, and ``ON_LOGIN_SUCCESS(user, request)`` once
the tokens are minted, only with ``UPDATE_LAST_LOGIN``; its default updates ``last_login``.  Its
refresh serializers refuse a changed password with ``get_codes() == "password_changed"``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIClient
from simplejwt_rs import settings as jwt_settings
from simplejwt_rs.errors import Refuse
from simplejwt_rs.serializers import TokenRefreshSerializer, TokenRefreshSlidingSerializer, TokenVerifySerializer
from simplejwt_rs.tokens import RefreshToken, SlidingToken

from tests.django.helpers import PASSWORD, simple_jwt

pytestmark = pytest.mark.django_db

CALLS: list[tuple[str, object, object]] = []
OBTAIN_URLS = ("/api/token/", "/api/token/sliding/", "/rs/token/")


def on_success(user, request):
    CALLS.append(("success", user, request))


def on_failed(credentials, request):
    CALLS.append(("failed", credentials, request))


def refusing_rule(user):
    if user is not None and user.first_name == "locked":
        raise Refuse("Locked.", code="account_locked")
    return user is not None and user.is_active


HOOKS = {"ON_LOGIN_SUCCESS": f"{__name__}.on_success", "ON_LOGIN_FAILED": f"{__name__}.on_failed"}


@pytest.fixture(autouse=True)
def calls():
    CALLS.clear()
    yield CALLS
    CALLS.clear()


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


def login(url, password=PASSWORD):
    return APIClient().post(url, {"username": "alice", "password": password}, format="json")


@pytest.mark.parametrize("url", OBTAIN_URLS)
def test_a_failed_login_calls_on_login_failed_once_with_the_password_masked(alice, calls, url):
    with simple_jwt(**HOOKS):
        response = login(url, "wrong")
    assert response.status_code == 401
    [(kind, credentials, request)] = calls
    assert kind == "failed"
    assert credentials == {"username": "alice", "password": "********************"}
    assert isinstance(request, Request) and request.path == url


@pytest.mark.parametrize("refusal", ["inactive", "rule"])
def test_a_refused_user_is_a_failed_login(alice, calls, refusal):
    if refusal == "inactive":
        alice.is_active = False
    else:
        alice.first_name = "locked"
    alice.save()
    with simple_jwt(**HOOKS, USER_AUTHENTICATION_RULE=f"{__name__}.refusing_rule"):
        response = login("/api/token/")
    assert response.status_code == 401
    assert [call[0] for call in calls] == ["failed"]


@pytest.mark.parametrize("url", OBTAIN_URLS)
def test_a_login_calls_on_login_success_with_update_last_login_only(alice, calls, url):
    with simple_jwt(**HOOKS):
        assert login(url).status_code == 200
    assert calls == []  # UPDATE_LAST_LOGIN off (its default): upstream calls no hook either
    with simple_jwt(**HOOKS, UPDATE_LAST_LOGIN=True):
        assert login(url).status_code == 200
    [(kind, user, request)] = calls
    assert (kind, user) == ("success", alice)
    assert isinstance(request, Request) and request.path == url


def test_the_default_success_hook_updates_last_login_and_the_failed_one_does_nothing(alice):
    with simple_jwt(UPDATE_LAST_LOGIN=True):
        assert login("/api/token/", "wrong").status_code == 401
        alice.refresh_from_db()
        assert alice.last_login is None
        assert login("/api/token/").status_code == 200
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_hooks_may_be_callables(alice, calls):
    with simple_jwt(ON_LOGIN_SUCCESS=on_success, ON_LOGIN_FAILED=on_failed, UPDATE_LAST_LOGIN=True):
        login("/api/token/", "wrong")
        login("/api/token/")
    assert [call[0] for call in calls] == ["failed", "success"]


def test_a_hook_that_cannot_be_imported_is_e008_and_the_default_applies(alice):
    with simple_jwt(ON_LOGIN_SUCCESS="no.such.module.hook", ON_LOGIN_FAILED=42, UPDATE_LAST_LOGIN=True):
        found = dict(jwt_settings.problems())
        assert "cannot be imported" in found["ON_LOGIN_SUCCESS"]
        assert "must be a callable" in found["ON_LOGIN_FAILED"]
        assert login("/api/token/", "wrong").status_code == 401
        assert login("/api/token/").status_code == 200
    alice.refresh_from_db()
    assert alice.last_login is not None


# --- get_codes() is the plain code, as simplejwt 6.0's tests expect ---------------------------------


@pytest.mark.parametrize(
    ("serializer", "token_class", "field"),
    [
        (TokenRefreshSerializer, RefreshToken, "refresh"),
        (TokenRefreshSlidingSerializer, SlidingToken, "token"),
        (TokenVerifySerializer, RefreshToken, "token"),
    ],
)
@pytest.mark.parametrize("change", ["password", "inactive"])
def test_a_refusal_at_a_token_serializer_has_a_plain_string_code(alice, serializer, token_class, field, change):
    with simple_jwt(CHECK_REVOKE_TOKEN=True):
        token = token_class.for_user(alice)
        if change == "password":
            alice.set_password("another password")
        else:
            alice.is_active = False
        alice.save()
        with pytest.raises(AuthenticationFailed) as refused:
            serializer(data={field: str(token)}).is_valid(raise_exception=True)
    expected = "password_changed" if change == "password" else "no_active_account"
    assert refused.value.get_codes() == expected
    assert refused.value.detail["code"] == expected  # the body keeps its code
