"""Housekeeping never revives a dead token (issue 19 item 5).

With ``LEEWAY`` a token is accepted until ``exp + LEEWAY``. Every flush command (ours,
``flush_expired_token_families``; upstream's ``flushexpiredtokens``, which projects keep in cron)
runs here 100 s after the tokens' ``exp``, alone and both, and every token that was refused before
the flush (rotated, logged out, revoked by ``revoke_user_tokens``, of a revoked family, a sliding
token revoked after a sliding refresh) is still refused after it, at refresh, verify, logout and
authentication. Each table is covered: upstream's outstanding and blacklist tables, our rotation
records, revoked families and "revoked before" marks.
"""

import io
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from rest_framework_simplejwt.token_blacklist.management.commands import flushexpiredtokens
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from simplejwt_rs import revoke_user_tokens
from simplejwt_rs.models import RevokedTokenFamily, RevokedUserTokens, RotatedRefreshToken
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import PASSWORD, code, logout, me, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db

LEEWAY = 300
DAY = 24 * 3600
COMMANDS = ["ours", "upstream", "both"]


@pytest.fixture(params=COMMANDS)
def flush(request, clock, monkeypatch):
    """Run the flush command(s) at the test's clock."""
    monkeypatch.setattr(flushexpiredtokens, "aware_utcnow", lambda: datetime.fromtimestamp(clock.now, tz=timezone.utc))

    def run():
        if request.param in ("ours", "both"):
            call_command("flush_expired_token_families", stdout=io.StringIO())
        if request.param in ("upstream", "both"):
            call_command("flushexpiredtokens")

    run.which = request.param
    return run


@pytest.fixture(params=["rotating", "not rotating"])
def mode(request):
    rotating = request.param == "rotating"
    with simple_jwt(LEEWAY=LEEWAY, ROTATE_REFRESH_TOKENS=rotating, BLACKLIST_AFTER_ROTATION=rotating):
        yield request.param


def exp(token):
    return RefreshToken(token, verify=False)["exp"]


def after_expiry(clock, token, seconds=100):
    """Move the clock to ``seconds`` past the token's exp: inside the leeway, so it still decodes."""
    clock.advance(exp(token) + seconds - clock.now)


def refused(response, *codes):
    assert response.status_code == 401, response.data
    if codes:
        assert code(response) in codes, response.data


def test_a_rotated_token_stays_a_reuse(api, user, clock, flush):
    with simple_jwt(LEEWAY=LEEWAY, ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data["refresh"]
        after_expiry(clock, second)
        flush()
        assert RotatedRefreshToken.objects.exists()  # our record outlives the leeway
        refused(refresh(api, first), "token_reused")  # a reuse, so its family is revoked
        refused(refresh(api, second), "token_family_revoked")
        clock.advance(LEEWAY)  # past exp + LEEWAY: nothing can present them any more
        flush()
        if flush.which != "upstream":
            assert not RotatedRefreshToken.objects.exists()  # the family, revoked just now, stays a day


def test_a_logged_out_token_stays_refused(api, user, clock, flush, mode):
    token = obtain(api).data["refresh"]
    assert logout(api, token).status_code == 200
    after_expiry(clock, token)
    flush()
    refused(refresh(api, token))
    refused(verify(api, token))
    if mode == "rotating":  # a logout is a consumption: the second one is a reuse
        refused(logout(api, token), "token_reused", "token_family_revoked")


def test_a_token_revoked_by_log_out_everywhere_stays_refused(api, user, clock, flush, mode):
    token = obtain(api).data["refresh"]
    revoke_user_tokens(user, now=clock.now)
    after_expiry(clock, token)
    flush()
    refused(refresh(api, token))
    refused(verify(api, token))
    assert RevokedUserTokens.objects.filter(user_id=str(user.pk)).exists()  # the mark is never flushed
    clock.advance(1)
    fresh = obtain(api).data["refresh"]  # a login afterwards works
    assert refresh(api, fresh).status_code == 200


def test_a_revoked_family_stays_revoked(api, user, clock, flush):
    with simple_jwt(LEEWAY=LEEWAY, ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data
        refused(refresh(api, first), "token_reused")
        after_expiry(clock, second["refresh"])
        flush()
        assert RevokedTokenFamily.objects.exists()
        refused(refresh(api, second["refresh"]), "token_family_revoked")
        refused(verify(api, second["refresh"]), "token_family_revoked")


def test_an_access_token_of_a_revoked_family_stays_revoked(api, user, clock, flush):
    # Access tokens that outlive refresh tokens: the revoked family outlives every token of it.
    with simple_jwt(
        LEEWAY=LEEWAY,
        ROTATE_REFRESH_TOKENS=True,
        BLACKLIST_AFTER_ROTATION=True,
        ACCESS_TOKEN_LIFETIME=timedelta(days=2),
    ):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data
        refused(refresh(api, first), "token_reused")
        after_expiry(clock, second["access"])
        flush()
        refused(verify(api, second["access"]), "token_family_revoked")


def test_a_refreshed_sliding_token_stays_revoked(api, user, clock, flush):
    sliding = {"AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.SlidingToken",), "LEEWAY": LEEWAY}
    with simple_jwt(**sliding):
        response = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json")
        first = response.data["token"]
        clock.advance(200)
        response = api.post("/api/token/sliding/refresh/", {"token": first}, format="json")
        assert response.status_code == 200, response.data
        second = response.data["token"]  # the same jti, a later exp
        assert me(api, second).status_code == 200
        revoke_user_tokens(user, now=clock.now)
        assert me(api, second).status_code == 401
        after_expiry(clock, first, seconds=50)  # the first token's exp passed; the second's has not
        flush()
        assert OutstandingToken.objects.exists()  # kept until the latest exp of its jti
        refused(me(api, second))
        refused(api.post("/api/token/sliding/refresh/", {"token": second}, format="json"))
        refused(verify(api, second))


def test_a_token_in_its_leeway_whose_record_is_gone_is_refused_as_expired(api, user, clock, mode):
    """Upstream's flushexpiredtokens deletes a row at exp, taking its blacklist entry with it: whether the
    token was blacklisted is no longer known, so inside the leeway such a token is refused as expired."""
    token = obtain(api).data["refresh"]
    after_expiry(clock, token)
    OutstandingToken.objects.all().delete()
    response = refresh(api, token)
    refused(response, "token_not_valid")
    assert "expired" in str(response.data["detail"])
    refused(verify(api, token), "token_not_valid")
    # Before its exp a token without a record is judged as before (issued before the blacklist app, say).
    clock.now = exp(token) - 60
    assert verify(api, token).status_code == 200


def test_a_sliding_token_in_its_leeway_whose_record_is_gone_is_refused(api, user, clock):
    with simple_jwt(AUTH_TOKEN_CLASSES=("simplejwt_rs.tokens.SlidingToken",), LEEWAY=LEEWAY):
        response = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json")
        token = response.data["token"]
        after_expiry(clock, token)
        assert me(api, token).status_code == 200  # inside its leeway, its row still there
        OutstandingToken.objects.all().delete()  # what flushexpiredtokens does at exp
        refused(me(api, token))
        refused(verify(api, token), "token_not_valid")
        refused(api.post("/api/token/sliding/refresh/", {"token": token}, format="json"))
