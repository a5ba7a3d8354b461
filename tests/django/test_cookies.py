"""The cookie transport for browser apps (issue 21): JWTCookieAuthentication and the Cookie* views.

Through DRF's test client with the CSRF check on (``enforce_csrf_checks=True``), as a browser meets it; the
browser itself is tests/browser's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.middleware.csrf import CsrfViewMiddleware
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from simplejwt_rs import cookies
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import PASSWORD, code, simple_jwt

pytestmark = [pytest.mark.urls("tests.django.urls_cookies"), pytest.mark.django_db]

LOGIN, REFRESH, LOGOUT, PROFILE = "/api/auth/login/", "/api/auth/refresh/", "/api/auth/logout/", "/api/profile/"
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Browser:
    """A client that keeps cookies and sends the CSRF token as a single-page app does (X-CSRFToken)."""

    def __init__(self) -> None:
        self.client = APIClient(enforce_csrf_checks=True)

    def csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            assert self.client.get(LOGIN).status_code == 204
        return self.client.cookies["csrftoken"].value

    def post(self, url, data=None, csrf=True, **extra):
        headers = {"HTTP_X_CSRFTOKEN": self.csrf()} if csrf else {}
        return self.client.post(url, data or {}, format="json", **headers, **extra)

    def login(self, username="alice", password=PASSWORD, **kwargs):
        return self.post(LOGIN, {"username": username, "password": password}, **kwargs)

    def cookie(self, which: str) -> str:
        morsel = self.client.cookies.get(cookies.name(which))
        return morsel.value if morsel is not None else ""


@pytest.fixture
def browser(user):
    return Browser()


@pytest.fixture
def cookie_settings():
    """The cookie transport over plain HTTP in tests (Secure cookies are still sent by Django's test client)."""
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        yield


# --- item 1: settings, item 3: the views ----------------------------------------------------------------------


def test_login_sets_both_httponly_cookies_and_no_token_in_the_body(browser, cookie_settings):
    response = browser.login()
    assert response.status_code == 200, response.data
    assert set(response.data) == {"access_expires", "refresh_expires"}
    access, refresh = response.cookies["access_token"], response.cookies["refresh_token"]
    for morsel in (access, refresh):
        assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
        assert morsel.value not in str(response.content)
    assert access["max-age"] == 300 and access["path"] == "/"
    assert refresh["max-age"] == 86400
    # The refresh cookie goes to the refresh and logout routes only.
    assert refresh["path"] == "/api/auth/"
    assert RefreshToken(refresh.value)["exp"] == response.data["refresh_expires"]


def test_the_cookie_settings_shape_the_cookies(browser):
    changes = {
        "AUTH_COOKIE": "a",
        "AUTH_REFRESH_COOKIE": "r",
        "AUTH_COOKIE_SECURE": False,
        "AUTH_COOKIE_SAMESITE": "strict",
        "AUTH_COOKIE_DOMAIN": ".example.com",
        "AUTH_COOKIE_PATH": "/api/",
        "AUTH_REFRESH_COOKIE_PATH": "/api/auth/refresh/",
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=7),
    }
    with simple_jwt(**changes):
        response = browser.login()
    assert response.status_code == 200
    access, refresh = response.cookies["a"], response.cookies["r"]
    assert access["max-age"] == 7 and access["path"] == "/api/" and refresh["path"] == "/api/auth/refresh/"
    for morsel in (access, refresh):
        assert morsel["httponly"] and not morsel["secure"]
        assert morsel["samesite"] == "Strict" and morsel["domain"] == ".example.com"


def test_get_on_login_sets_the_csrf_cookie(user):
    client = APIClient(enforce_csrf_checks=True)
    response = client.get(LOGIN)
    assert response.status_code == 204 and "csrftoken" in response.cookies


@pytest.mark.parametrize("url", [LOGIN, REFRESH, LOGOUT])
def test_every_cookie_post_needs_the_csrf_token(browser, cookie_settings, url):
    assert browser.login().status_code == 200
    response = browser.post(url, {"username": "alice", "password": PASSWORD}, csrf=False)
    assert response.status_code == 403 and code(response) == "csrf_failed"
    assert "access_token" not in response.cookies  # a forged logout clears nothing


def test_the_cookie_authenticates_and_an_unsafe_method_needs_the_csrf_token(browser, cookie_settings):
    assert browser.login().status_code == 200
    assert browser.client.get(PROFILE).data["username"] == "alice"  # safe method: no CSRF token needed
    forged = browser.post(PROFILE, {"first_name": "mallory"}, csrf=False)
    assert forged.status_code == 403 and code(forged) == "csrf_failed"
    assert User.objects.get(username="alice").first_name == ""
    assert browser.post(PROFILE, {"first_name": "Alice"}).status_code == 200
    assert User.objects.get(username="alice").first_name == "Alice"


def test_the_header_wins_and_needs_no_csrf_token(browser, cookie_settings):
    assert browser.login().status_code == 200
    bob = User.objects.create_user("bob", password=PASSWORD)
    access = str(RefreshToken.for_user(bob).access_token)
    response = browser.client.post(PROFILE, {"first_name": "Bob"}, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200
    assert User.objects.get(username="bob").first_name == "Bob"
    assert User.objects.get(username="alice").first_name == ""


def test_the_cookie_gets_the_same_user_policy_as_the_header(browser, cookie_settings):
    assert browser.login().status_code == 200
    User.objects.filter(username="alice").update(is_active=False)
    response = browser.client.get(PROFILE)
    assert response.status_code == 401 and code(response) == "user_inactive"
    User.objects.filter(username="alice").delete()
    response = browser.client.get(PROFILE)
    assert response.status_code == 401 and code(response) == "user_not_found"


def test_no_cookie_no_header_is_a_401(user):
    response = APIClient(enforce_csrf_checks=True).get(PROFILE)
    assert response.status_code == 401


def test_refresh_rotates_both_cookies_and_a_replay_revokes_the_family(browser, cookie_settings):
    assert browser.login().status_code == 200
    first = browser.cookie("refresh")
    response = browser.post(REFRESH)
    assert response.status_code == 200, response.data
    assert set(response.data) == {"access_expires", "refresh_expires"}
    second = browser.cookie("refresh")
    assert second and second != first
    assert browser.client.get(PROFILE).status_code == 200
    # The old refresh cookie comes back (stolen and replayed): refused, and the whole family is revoked.
    browser.client.cookies["refresh_token"] = first
    replay = browser.post(REFRESH)
    assert replay.status_code == 401 and code(replay) == "token_reused"
    assert replay.cookies["access_token"].value == "" and replay.cookies["access_token"]["max-age"] == 0
    assert replay.cookies["refresh_token"].value == "" and replay.cookies["refresh_token"]["path"] == "/api/auth/"
    browser.client.cookies["refresh_token"] = second
    assert code(browser.post(REFRESH)) == "token_family_revoked"


def test_refresh_without_rotation_sets_the_access_cookie_only(browser):
    assert browser.login().status_code == 200
    response = browser.post(REFRESH)
    assert response.status_code == 200 and set(response.data) == {"access_expires"}
    assert "refresh_token" not in response.cookies


def test_refresh_applies_the_user_policy(browser, cookie_settings):
    assert browser.login().status_code == 200
    User.objects.filter(username="alice").update(is_active=False)
    response = browser.post(REFRESH)
    assert response.status_code == 401 and code(response) == "no_active_account"
    assert response.cookies["refresh_token"].value == ""


def test_refresh_without_a_cookie_is_a_401_with_a_code(browser, cookie_settings):
    response = browser.post(REFRESH)
    assert response.status_code == 401 and code(response) == "token_not_valid"


def test_wrong_credentials_are_a_401_and_clear_the_cookies(browser, cookie_settings):
    response = browser.login(password="wrong")
    assert response.status_code == 401 and code(response) == "no_active_account"
    assert response.cookies["access_token"].value == ""


def test_logout_consumes_the_refresh_token_and_clears_both_cookies(browser, cookie_settings):
    assert browser.login().status_code == 200
    token = browser.cookie("refresh")
    response = browser.post(LOGOUT)
    assert response.status_code == 200
    assert response.cookies["access_token"].value == "" and response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/auth/"
    assert browser.client.get(PROFILE).status_code == 401
    # The logged-out token is consumed: presenting it again is a reuse, as at TokenBlacklistView.
    browser.client.cookies["refresh_token"] = token
    again = browser.post(REFRESH)
    assert again.status_code == 401 and code(again) == "token_reused"


def test_the_refresh_path_is_the_routes_shared_prefix():
    assert cookies.refresh_routes_prefix() == "api/auth/"
    assert cookies.refresh_path() == "/api/auth/"
    with simple_jwt(AUTH_REFRESH_COOKIE_PATH="/elsewhere/"):
        assert cookies.refresh_path() == "/elsewhere/"
    # Routes written with regular expressions or converters: their literal start.
    assert cookies._literal(r"^api/auth/refresh/$") == "api/auth/refresh/"
    assert cookies._literal("api/<int:tenant>/refresh/") == "api/"


# --- bad input: always a 401 with a code, never a 500 ---------------------------------------------------------

COOKIE_VALUES = st.one_of(
    # A WSGI header is bytes read as latin-1: any byte may come.
    st.text(st.characters(max_codepoint=255), max_size=40),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=400),
    st.sampled_from(
        [
            "a.b.c",
            "eyJhbGciOiJIUzI1NiJ9.e30.",
            "x" * 20000,
            # Well-formed, signed with another key (a token from another service or a forger).
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJqdGkiOiJ4"
            "IiwidXNlcl9pZCI6MX0.2Vjk3v1m6Sx8bVZ4bPXcCLFuJ3J1vA6b4z5Yb2JcQ2Q",
        ]
    ),
)


def _cookie_header(name: str, value: str) -> str:
    # What a browser (or anyone) may put in the Cookie header, byte for byte (no quoting).
    return f"{name}={value.replace(';', '').replace(chr(13), '').replace(chr(10), '')}"


@HYPOTHESIS
@given(value=COOKIE_VALUES, twice=st.booleans())
def test_a_bad_access_cookie_is_a_401_with_a_code(user, value, twice):
    client = APIClient(enforce_csrf_checks=True)
    header = _cookie_header("access_token", value)
    if twice:
        header = f"{header}; {_cookie_header('access_token', 'other')}"
    response = client.get(PROFILE, HTTP_COOKIE=header)
    if not value.replace(";", "").strip() and not twice:
        assert response.status_code == 401  # no token at all: not authenticated
        return
    assert response.status_code == 401, (value, response.content)
    assert code(response) == "token_not_valid"


@HYPOTHESIS
@given(value=COOKIE_VALUES, twice=st.booleans())
def test_a_bad_refresh_cookie_is_a_401_with_a_code_and_clears_the_cookies(user, value, twice):
    client = APIClient()  # (CSRF checked above; here the cookie itself)
    header = _cookie_header("refresh_token", value)
    if twice:
        header = f"{header}; {_cookie_header('refresh_token', 'other')}"
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        for url in (REFRESH, LOGOUT):
            response = client.post(url, {}, format="json", HTTP_COOKIE=header)
            assert response.status_code == 401, (value, response.content)
            assert code(response) == "token_not_valid"
            assert response.cookies["refresh_token"].value == ""


def test_two_valid_access_cookies_of_one_name_are_refused(browser, cookie_settings):
    assert browser.login().status_code == 200
    access = browser.cookie("access")
    response = APIClient().get(PROFILE, HTTP_COOKIE=f"access_token={access}; access_token={access}")
    assert response.status_code == 401 and "More than one" in str(response.data["detail"])


# --- item 4: system checks ---------------------------------------------------------------------------------------


def cookie_check_ids(**changes):
    from simplejwt_rs.checks import check_cookies

    with simple_jwt(**changes):
        return [message.id for message in check_cookies()]


CSRF_MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]


def test_the_defaults_pass_the_cookie_checks(settings):
    settings.MIDDLEWARE = CSRF_MIDDLEWARE
    assert cookie_check_ids() == []


def test_cookies_not_secure_without_debug_is_e060(settings):
    settings.MIDDLEWARE = CSRF_MIDDLEWARE
    assert cookie_check_ids(AUTH_COOKIE_SECURE=False) == ["simplejwt_rs.E060"]
    settings.DEBUG = True
    assert cookie_check_ids(AUTH_COOKIE_SECURE=False) == []


def test_samesite_none_without_secure_is_e061(settings):
    settings.MIDDLEWARE = CSRF_MIDDLEWARE
    settings.DEBUG = True
    assert cookie_check_ids(AUTH_COOKIE_SAMESITE="None", AUTH_COOKIE_SECURE=False) == ["simplejwt_rs.E061"]
    assert cookie_check_ids(AUTH_COOKIE_SAMESITE="None") == []


def test_cookie_views_routed_without_the_csrf_middleware_is_e062(settings):
    settings.MIDDLEWARE = []
    found = cookie_check_ids()
    assert found == ["simplejwt_rs.E062"] * 3  # login, refresh, logout: each route named
    settings.MIDDLEWARE = ["tests.django.test_cookies.OwnCsrfMiddleware"]  # a subclass counts
    assert cookie_check_ids() == []


@pytest.mark.urls("tests.django.urls")
def test_no_cookie_view_routed_no_e062(settings):
    settings.MIDDLEWARE = []
    assert cookie_check_ids() == []


class OwnCsrfMiddleware(CsrfViewMiddleware):
    pass


def test_async_callers_read_the_cookie_and_its_csrf_check_too(browser, cookie_settings):
    """aauthenticate (ninja's async classes, adrf) takes the cookie path, not only the header's."""
    from asgiref.sync import async_to_sync
    from django.test import RequestFactory
    from rest_framework.exceptions import PermissionDenied
    from rest_framework.request import Request
    from simplejwt_rs.authentication import JWTCookieAuthentication

    assert browser.login().status_code == 200
    factory = RequestFactory()
    for method, refused in (("get", False), ("post", True)):
        django_request = getattr(factory, method)(PROFILE)
        django_request.COOKIES[cookies.name(cookies.ACCESS)] = browser.cookie(cookies.ACCESS)
        request = Request(django_request)
        if refused:
            with pytest.raises(PermissionDenied):
                async_to_sync(JWTCookieAuthentication().aauthenticate)(request)
        else:
            user, _ = async_to_sync(JWTCookieAuthentication().aauthenticate)(request)
            assert user.username == "alice"
