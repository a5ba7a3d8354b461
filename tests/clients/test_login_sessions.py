"""With PATCH_UPSTREAM_CLASSES, every login is a session with its security events, whoever's code logs in.

A project's serializer built on upstream's (``get_token`` overridden to add a claim, as upstream documents),
routed by upstream's view or named in ``TOKEN_OBTAIN_SERIALIZER``, and dj-rest-auth's ``LoginView`` (which
mints through ``get_token`` with no serializer of ours in sight): each login is listed by
``sessions.list_sessions`` with its user agent and address, can be ended with ``SessionView``, counts
towards ``MAX_SESSIONS_PER_USER``, and logs exactly one ``authn_login_success`` and one
``authn_token_created``.
"""

from __future__ import annotations

import pytest
from dj_rest_auth.app_settings import api_settings as rest_auth_settings
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt import serializers as up_serializers
from simplejwt_rs import serializers, sessions, signals
from simplejwt_rs.tokens import RefreshToken

from tests.clients.helpers import LOGIN, PASSWORD, REFRESH, REFRESH_COOKIE
from tests.clients.project import ProjectObtainSerializer
from tests.clients.settings import SIMPLE_JWT

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.clients.project")]

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PROJECT = f"{ProjectObtainSerializer.__module__}.{ProjectObtainSerializer.__qualname__}"


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def sent():
    """The security events' signals received, by event name."""
    received: list[tuple[str, dict]] = []

    def receiver(sender, event, **fields):
        received.append((event, fields))

    for signal in (signals.authn_login_success, signals.authn_token_created):
        signal.connect(receiver, weak=False)
    yield received
    for signal in (signals.authn_login_success, signals.authn_token_created):
        signal.disconnect(receiver)


def via_project_view(api: APIClient, ip: str) -> str:
    response = api.post(
        "/project/token/",
        {"username": "alice", "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 200, response.data
    assert RefreshToken(response.data["refresh"])["name"] == "alice"  # the project's get_token ran
    return response.data["refresh"]


def via_setting(api: APIClient, ip: str) -> str:
    with override_settings(SIMPLE_JWT={**django_settings.SIMPLE_JWT, "TOKEN_OBTAIN_SERIALIZER": PROJECT}):
        response = api.post(
            "/project/setting/",
            {"username": "alice", "password": PASSWORD},
            format="json",
            HTTP_USER_AGENT=AGENT,
            REMOTE_ADDR=ip,
        )
    assert response.status_code == 200, response.data
    assert RefreshToken(response.data["refresh"])["name"] == "alice"
    return response.data["refresh"]


def via_dj_rest_auth(api: APIClient, ip: str) -> str:
    response = api.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, format="json", HTTP_USER_AGENT=AGENT, REMOTE_ADDR=ip
    )
    assert response.status_code == 200, response.data
    return response.cookies[REFRESH_COOKIE].value


def via_our_view(api: APIClient, ip: str) -> str:
    response = api.post(
        "/ours/token/",
        {"username": "alice", "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 200, response.data
    return response.data["refresh"]


def via_dj_rest_auth_with_ours(api: APIClient, ip: str) -> str:
    """dj-rest-auth minting through our serializer (its ``JWT_TOKEN_CLAIMS_SERIALIZER``; dj-rest-auth reads
    ``REST_AUTH`` once, at import, so the value is set on its settings object for the one request)."""
    before = rest_auth_settings.JWT_TOKEN_CLAIMS_SERIALIZER
    rest_auth_settings.JWT_TOKEN_CLAIMS_SERIALIZER = serializers.TokenObtainPairSerializer
    try:
        return via_dj_rest_auth(api, ip)
    finally:
        rest_auth_settings.JWT_TOKEN_CLAIMS_SERIALIZER = before


# Our own serializer too: its get_token is reached through upstream's (routed), and the login is recorded once.
LOGINS = [via_project_view, via_setting, via_dj_rest_auth, via_our_view, via_dj_rest_auth_with_ours]


def family(raw: str) -> str:
    return RefreshToken(raw, verify=False)["jti"]


@pytest.mark.parametrize("log_in", LOGINS)
def test_each_login_is_a_session_with_one_login_event(alice, sent, log_in):
    api = APIClient()
    first = log_in(api, "203.0.113.7")
    second = log_in(APIClient(), "198.51.100.1")
    listed = sessions.list_sessions(alice)
    assert {(s["family"], s["user_agent"], s["ip"]) for s in listed} == {
        (family(first), AGENT, "203.0.113.7"),
        (family(second), AGENT, "198.51.100.1"),
    }
    logins = [fields for event, fields in sent if event == "authn_login_success"]
    created = [fields for event, fields in sent if event == "authn_token_created"]
    assert [f["family"] for f in logins] == [family(first), family(second)]
    assert [f["jti"] for f in created] == [family(first), family(second)]
    assert {(f["ip"], f["user_agent"]) for f in logins} == {("203.0.113.7", AGENT), ("198.51.100.1", AGENT)}


@pytest.mark.parametrize("log_in", LOGINS)
def test_a_session_from_such_a_login_can_be_ended(alice, log_in):
    api = APIClient()
    ended = log_in(api, "203.0.113.7")
    kept = log_in(APIClient(), "203.0.113.8")
    access = str(RefreshToken(kept).access_token)
    response = APIClient().delete(f"/project/sessions/{family(ended)}/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 204, response.data
    refused = APIClient().post(REFRESH, {"refresh": ended}, format="json")
    assert refused.status_code == 401 and refused.data["code"] == "token_family_revoked", refused.data
    assert [s["family"] for s in sessions.list_sessions(alice)] == [family(kept)]


@pytest.mark.parametrize("log_in", LOGINS)
def test_max_sessions_per_user_applies(alice, log_in):
    with override_settings(SIMPLE_JWT={**SIMPLE_JWT, "MAX_SESSIONS_PER_USER": 1}):
        oldest = log_in(APIClient(), "203.0.113.7")
        newest = log_in(APIClient(), "203.0.113.7")
        assert [s["family"] for s in sessions.list_sessions(alice)] == [family(newest)]
        refused = APIClient().post(REFRESH, {"refresh": oldest}, format="json")
        assert refused.status_code == 401 and refused.data["code"] == "token_family_revoked", refused.data


def test_get_token_called_by_code_outside_a_request_is_a_session_without_address(alice, sent):
    token = ProjectObtainSerializer.get_token(alice)
    [entry] = sessions.list_sessions(alice)
    assert (entry["family"], entry["user_agent"], entry["ip"]) == (token["jti"], "", None)
    assert [event for event, _ in sent] == ["authn_login_success", "authn_token_created"]


def test_upstreams_serializer_used_directly_records_once_with_its_requests_address(alice, sent, rf):
    request = rf.post("/", HTTP_USER_AGENT=AGENT, REMOTE_ADDR="192.0.2.4")
    obtain = up_serializers.TokenObtainPairSerializer(
        data={"username": "alice", "password": PASSWORD}, context={"request": request}
    )
    assert obtain.is_valid(), obtain.errors
    [entry] = sessions.list_sessions(alice)
    expected = (family(obtain.validated_data["refresh"]), AGENT, "192.0.2.4")
    assert (entry["family"], entry["user_agent"], entry["ip"]) == expected
    assert [event for event, _ in sent] == ["authn_login_success", "authn_token_created"]
