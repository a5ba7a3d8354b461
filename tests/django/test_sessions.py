"""Sessions a user can see and end (issue 23 item 2): one per token family, recorded at login.

Each login records its family with the user agent and the client's address (as ``CLIENT_IP_META_KEY`` and
``CLIENT_IP_PROXIES`` say); ``last_used`` follows each refresh; ``SessionsView`` lists the caller's,
``SessionView`` ends one (only the caller's own: anything else is a 404 ``session_not_found``);
``MAX_SESSIONS_PER_USER`` ends the least recently used.
"""

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from simplejwt_rs import sessions
from simplejwt_rs.models import TokenSession
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import PASSWORD, code, me, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def login(api, agent=FIREFOX, ip="203.0.113.7", **meta):
    return api.post(
        "/api/token/",
        {"username": "alice", "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR=ip,
        **meta,
    ).data


def family(token):
    return RefreshToken(token, verify=False)["jti"]


def listed(api, access):
    response = api.get("/api/sessions/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200, response.data
    return response.data


def end(api, access, family_id):
    return api.delete(f"/api/sessions/{family_id}/", HTTP_AUTHORIZATION=f"Bearer {access}")


def test_a_login_is_a_session_and_a_refresh_moves_last_used(api, user, rotating, clock):
    pair = login(api)
    [entry] = sessions.list_sessions(user)
    assert entry["family"] == family(pair["refresh"])
    assert (entry["user_agent"], entry["ip"]) == (FIREFOX, "203.0.113.7")
    assert entry["created"] == entry["last_used"]
    clock.advance(60)
    new = refresh(api, pair["refresh"]).data
    [entry] = sessions.list_sessions(user)
    assert (entry["last_used"] - entry["created"]).total_seconds() == 60
    assert [e["family"] for e in listed(api, new["access"])] == [family(pair["refresh"])]
    assert set(listed(api, new["access"])[0]) == {"family", "created", "last_used", "user_agent", "ip"}


def test_ending_a_session_revokes_its_family_and_only_the_owner_can(api, user, rotating):
    mallory = User.objects.create_user("mallory", password=PASSWORD)
    mine = login(api)
    other = login(api, ip="198.51.100.1")
    theirs = APIClient().post("/api/token/", {"username": "mallory", "password": PASSWORD}, format="json").data
    # another user's, a made-up one, an access token's jti: 404 with a code, nothing revoked
    for wrong in (
        family(theirs["refresh"]),
        "no-such-family",
        RefreshToken(mine["refresh"], verify=False)["jti"] + "x",
    ):
        response = end(api, mine["access"], wrong)
        assert response.status_code == 404 and code(response) == "session_not_found", response.data
    assert refresh(api, theirs["refresh"]).status_code == 200
    assert len(sessions.list_sessions(mallory)) == 1
    response = end(api, mine["access"], family(other["refresh"]))
    assert response.status_code == 204
    assert code(refresh(api, other["refresh"])) == "token_family_revoked"
    assert code(verify(api, other["access"])) == "token_family_revoked"
    assert [e["family"] for e in listed(api, mine["access"])] == [family(mine["refresh"])]
    # ended already: 404 again
    response = end(api, mine["access"], family(other["refresh"]))
    assert response.status_code == 404 and code(response) == "session_not_found"
    assert refresh(api, mine["refresh"]).status_code == 200


def test_a_logged_out_or_expired_session_is_not_listed(api, user, rotating, clock):
    first = login(api)
    login(api)
    assert api.post("/api/token/blacklist/", {"refresh": first["refresh"]}, format="json").status_code == 200
    assert len(sessions.list_sessions(user)) == 1
    clock.advance(RefreshToken.lifetime.total_seconds() + 1)
    assert sessions.list_sessions(user) == []
    with pytest.raises(sessions.SessionNotFound):
        sessions.revoke_session(user, family(first["refresh"]))


def test_max_sessions_per_user_ends_the_least_recently_used(api, user, clock):
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True, MAX_SESSIONS_PER_USER=2):
        oldest = login(api)
        clock.advance(1)
        middle = login(api)
        clock.advance(1)
        refreshed = refresh(api, oldest["refresh"]).data  # now the oldest login is the most recently used
        clock.advance(1)
        newest = login(api)
        assert code(refresh(api, middle["refresh"])) == "token_family_revoked"
        assert refresh(api, refreshed["refresh"]).status_code == 200
        assert refresh(api, newest["refresh"]).status_code == 200
        assert {e["family"] for e in sessions.list_sessions(user)} == {
            family(oldest["refresh"]),
            family(newest["refresh"]),
        }


@pytest.mark.parametrize(
    ("meta", "proxies", "expected"),
    [
        ({"REMOTE_ADDR": "2001:db8::1"}, 1, "2001:db8::1"),
        ({"REMOTE_ADDR": "not an address"}, 1, None),
        ({"REMOTE_ADDR": "fe80::1%eth0"}, 1, None),  # a zone: PostgreSQL's inet refuses it
        ({"REMOTE_ADDR": "::ffff:192.0.2.1"}, 1, "::ffff:192.0.2.1"),
        ({"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.9", "REMOTE_ADDR": "10.0.0.1"}, 1, "192.0.2.9"),
        ({"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.9, 10.0.0.2", "REMOTE_ADDR": "10.0.0.1"}, 2, "192.0.2.9"),
        ({"HTTP_X_FORWARDED_FOR": "192.0.2.9", "REMOTE_ADDR": "10.0.0.1"}, 2, None),
        ({"REMOTE_ADDR": "10.0.0.1"}, 1, None),  # the header is missing
    ],
)
def test_the_address_is_read_as_the_settings_say(api, user, meta, proxies, expected):
    key = "HTTP_X_FORWARDED_FOR" if "HTTP_X_FORWARDED_FOR" in meta or "10.0.0.1" in meta.values() else "REMOTE_ADDR"
    with simple_jwt(
        ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True, CLIENT_IP_META_KEY=key, CLIENT_IP_PROXIES=proxies
    ):
        meta = {"REMOTE_ADDR": "127.0.0.1", **meta}
        response = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json", **meta)
        assert response.status_code == 200
        [entry] = sessions.list_sessions(user)
        assert entry["ip"] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=st.one_of(st.text(max_size=2000), st.binary(max_size=600).map(lambda b: b.decode("latin-1"))))
def test_any_user_agent_is_stored_truncated_never_a_500(user, agent):
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        TokenSession.objects.all().delete()
        response = APIClient().post(
            "/api/token/", {"username": "alice", "password": PASSWORD}, format="json", HTTP_USER_AGENT=agent
        )
        assert response.status_code == 200
        [entry] = sessions.list_sessions(user)
        assert len(entry["user_agent"]) <= 255
        assert entry["user_agent"].isprintable()
        assert "\x00" not in entry["user_agent"]


def test_the_sessions_views_need_authentication_and_a_user(api, user, rotating):
    assert api.get("/api/sessions/").status_code == 401
    assert api.delete("/api/sessions/x/").status_code == 401
    pair = login(api)
    assert me(api, pair["access"]).status_code == 200
    assert api.post("/api/sessions/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 405


def test_no_sessions_without_single_use_rotation(api, user):
    with simple_jwt(ROTATE_REFRESH_TOKENS=False):
        login(api)
    assert sessions.list_sessions(user) == []
    assert not TokenSession.objects.exists()


def test_w080_a_cap_that_caps_nothing(db):
    from simplejwt_rs.checks import check_settings

    with simple_jwt(ROTATE_REFRESH_TOKENS=False, MAX_SESSIONS_PER_USER=3):
        assert "simplejwt_rs.W080" in {message.id for message in check_settings()}
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True, MAX_SESSIONS_PER_USER=3):
        assert "simplejwt_rs.W080" not in {message.id for message in check_settings()}
