"""Single-use rotation, token families and reuse detection (issue 4), on SQLite and on PostgreSQL.

`make test` runs this module twice: on SQLite, and with DATABASE_URL on the
throwaway PostgreSQL cluster of scripts/pg-tests.sh.
"""

import logging
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from simplejwt_rs import policy, store
from simplejwt_rs.models import RevokedTokenFamily, RotatedRefreshToken
from simplejwt_rs.signals import refresh_token_reused
from simplejwt_rs.tokens import AccessToken, RefreshToken

from tests.django.helpers import (
    code,
    concurrent_refreshes,
    logout,
    obtain,
    refresh,
    simple_jwt,
    token_store_locked,
    verify,
)

pytestmark = pytest.mark.django_db

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def claims(token):
    return RefreshToken(token, verify=False).payload


def jti(token):
    return claims(token)["jti"]


def blacklisted(token):
    return BlacklistedToken.objects.filter(token__jti=jti(token)).exists()


def data_statements(queries):
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]


def test_a_family_travels_from_obtain_across_rotations(api, user, rotating):
    first = obtain(api).data
    family = jti(first["refresh"])
    assert claims(first["refresh"])["token_family"] == family
    assert AccessToken(first["access"])["token_family"] == family

    second = refresh(api, first["refresh"]).data
    third = refresh(api, second["refresh"]).data
    for pair in (second, third):
        assert claims(pair["refresh"])["token_family"] == family
        assert AccessToken(pair["access"])["token_family"] == family
    assert len({jti(first["refresh"]), jti(second["refresh"]), jti(third["refresh"])}) == 3
    rows = RotatedRefreshToken.objects.order_by("issued_at", "parent_jti")
    assert {(r.parent_jti, r.jti, r.family, r.user_id) for r in rows} == {
        (jti(first["refresh"]), jti(second["refresh"]), family, str(user.pk)),
        (jti(second["refresh"]), jti(third["refresh"]), family, str(user.pk)),
    }
    # upstream's bookkeeping: each rotated-out token blacklisted, the newest outstanding and usable
    assert blacklisted(first["refresh"]) and blacklisted(second["refresh"])
    assert not blacklisted(third["refresh"])
    assert OutstandingToken.objects.filter(jti=jti(third["refresh"]), user=user).exists()


def test_no_family_claim_without_rotation(api, user):
    token = obtain(api).data["refresh"]
    assert "token_family" not in claims(token)


def test_reuse_revokes_the_whole_family(api, user, rotating, reused_signals, caplog):
    chain = [obtain(api).data["refresh"]]
    for _ in range(3):
        chain.append(refresh(api, chain[-1]).data["refresh"])
    family = jti(chain[0])

    with caplog.at_level(logging.WARNING, logger="simplejwt_rs.rotation"):
        replay = refresh(api, chain[1])
    assert (replay.status_code, code(replay)) == (401, "token_reused")
    assert "revoked" in str(replay.data["detail"])

    # every token of the family, the newest included, is blacklisted in upstream's tables
    assert all(blacklisted(token) for token in chain)
    assert RevokedTokenFamily.objects.filter(family=family).exists()
    newest = refresh(api, chain[-1])
    assert (newest.status_code, code(newest)) == (401, "token_family_revoked")
    assert verify(api, chain[-1]).status_code == 401

    assert reused_signals == [{"signal": refresh_token_reused, "user": user, "family": family, "jti": jti(chain[1])}]
    [record] = [r for r in caplog.records if r.name == "simplejwt_rs.rotation"]
    assert record.levelno == logging.WARNING and family in record.getMessage()
    for token in chain:
        assert token not in caplog.text and token.split(".")[2] not in caplog.text

    # another family of the same user is untouched
    other = obtain(api).data["refresh"]
    assert refresh(api, other).status_code == 200


def test_revocation_takes_a_constant_number_of_queries(api, user, rotating):
    counts = []
    for length in (1, 8):
        chain = [obtain(api).data["refresh"]]
        for _ in range(length):
            chain.append(refresh(api, chain[-1]).data["refresh"])
        with CaptureQueriesContext(connection) as queries:
            assert code(refresh(api, chain[0])) == "token_reused"
        assert all(blacklisted(token) for token in chain)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 10, [q["sql"] for q in queries]


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: real BEGIN/COMMIT
def test_rotating_refresh_is_at_most_six_statements(api, user, rotating):
    """Issue 6's budget: stock simplejwt 5.5.1 makes 13 (9 without BEGIN/COMMIT) on SQLite."""
    token = obtain(api).data["refresh"]
    refresh(api, refresh(api, token).data["refresh"])  # warm up
    token = obtain(api).data["refresh"]
    with CaptureQueriesContext(connection) as queries:
        response = refresh(api, token)
    assert response.status_code == 200
    sql = [q["sql"] for q in queries]
    assert len(sql) <= 6, sql
    assert sql[1].upper().startswith("BEGIN") and sql[-1].upper().startswith("COMMIT"), sql
    assert len(data_statements(queries)) <= 4, sql


@simple_jwt(ROTATE_REFRESH_TOKENS=False)
def test_default_refresh_is_two_statements(api, user):
    token = obtain(api).data["refresh"]
    with CaptureQueriesContext(connection) as queries:
        assert refresh(api, token).status_code == 200
    assert len(queries) <= 2, [q["sql"] for q in queries]


@simple_jwt(**ROTATING, REFRESH_TOKEN_REUSE_GRACE_SECONDS=30)
def test_grace_period_refuses_a_retry_without_revoking(api, user, clock, reused_signals):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data["refresh"]

    retry = refresh(api, first)
    assert (retry.status_code, code(retry)) == (401, "token_already_rotated")
    assert not RevokedTokenFamily.objects.exists() and reused_signals == []
    third = refresh(api, second)
    assert third.status_code == 200

    # `first` is no longer the immediately previous token: revoked, grace or not
    assert code(refresh(api, first)) == "token_reused"
    assert code(refresh(api, third.data["refresh"])) == "token_family_revoked"


@simple_jwt(**ROTATING, REFRESH_TOKEN_REUSE_GRACE_SECONDS=30)
def test_grace_period_ends(api, user, clock):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data["refresh"]
    clock.advance(31)
    assert code(refresh(api, first)) == "token_reused"
    assert code(refresh(api, second)) == "token_family_revoked"


@simple_jwt(**ROTATING, REFRESH_TOKEN_REUSE_DETECTION=False)
def test_reuse_detection_off_is_single_use_only(api, user, reused_signals):
    first = obtain(api).data["refresh"]
    second = refresh(api, first).data["refresh"]
    replay = refresh(api, first)
    assert (replay.status_code, code(replay), str(replay.data["detail"])) == (
        401,
        "token_not_valid",
        "Token is blacklisted",
    )
    assert not RevokedTokenFamily.objects.exists() and reused_signals == []
    assert refresh(api, second).status_code == 200


def test_a_token_from_before_installation_starts_its_own_family(api, user):
    old = obtain(api).data["refresh"]  # no rotation yet: no family claim
    assert "token_family" not in claims(old)
    with simple_jwt(**ROTATING):
        new = refresh(api, old).data["refresh"]
        assert claims(new)["token_family"] == jti(old)
        assert code(refresh(api, old)) == "token_reused"
        assert code(refresh(api, new)) == "token_family_revoked"
        assert blacklisted(new)


def test_a_token_without_outstanding_row_is_still_blacklisted_once(api, user, rotating):
    token = obtain(api).data["refresh"]
    OutstandingToken.objects.all().delete()  # e.g. issued before the blacklist app was installed
    assert refresh(api, token).status_code == 200
    assert blacklisted(token)
    assert code(refresh(api, token)) == "token_reused"


def test_a_token_blacklisted_elsewhere_is_refused_not_consumed(api, user, rotating):
    token = obtain(api).data["refresh"]
    # e.g. a BlacklistedToken added in Django's admin (blacklist() logs out: consumed, see test_reuse_everywhere)
    BlacklistedToken.objects.create(token=OutstandingToken.objects.get(jti=jti(token)))
    response = refresh(api, token)
    assert (response.status_code, str(response.data["detail"])) == (401, "Token is blacklisted")
    assert not RotatedRefreshToken.objects.exists()


def test_a_logged_out_token_is_consumed_and_coming_back_is_a_reuse(api, user, rotating, reused_signals):
    token = obtain(api).data["refresh"]
    assert logout(api, token).status_code == 200
    [row] = RotatedRefreshToken.objects.all()
    assert (row.parent_jti, row.logged_out, row.family) == (jti(token), True, jti(token))
    assert blacklisted(token)
    response = refresh(api, token)
    assert (response.status_code, code(response)) == (401, "token_reused")
    assert RevokedTokenFamily.objects.filter(family=jti(token)).exists()
    assert [signal["jti"] for signal in reused_signals] == [jti(token)]


def test_user_policy_runs_before_consuming(api, user, rotating):
    token = obtain(api).data["refresh"]
    user.is_active = False
    user.save()
    assert code(refresh(api, token)) == "no_active_account"
    assert not RotatedRefreshToken.objects.exists()
    user.is_active = True
    user.save()
    assert refresh(api, token).status_code == 200


def test_verify_refuses_tokens_of_a_revoked_family(api, user, rotating):
    pair = obtain(api).data
    second = refresh(api, pair["refresh"]).data
    assert verify(api, second["access"]).status_code == 200
    assert code(refresh(api, pair["refresh"])) == "token_reused"
    response = verify(api, second["access"])
    assert (response.status_code, code(response)) == (401, "token_family_revoked")


def test_hostile_family_claims_are_401_not_500(api, user, rotating):
    for family in (["x"], {"a": 1}, True, "f" * 256, ""):
        token = RefreshToken.for_user(user)
        token["token_family"] = family
        response = refresh(api, str(token))
        assert (response.status_code, code(response)) == (401, "token_not_valid"), family
    assert not RotatedRefreshToken.objects.exists()


def test_flush_expired_token_families(user, rotating, clock, capsys):
    api = APIClient()
    first = obtain(api).data["refresh"]
    refresh(api, first)
    assert code(refresh(api, first)) == "token_reused"
    assert RotatedRefreshToken.objects.count() == 1 and RevokedTokenFamily.objects.count() == 1

    call_command("flush_expired_token_families")
    assert "deleted 0 rotation record(s) and 0 revoked token family(ies)" in capsys.readouterr().out
    clock.advance(timedelta(days=1).total_seconds() + 1)
    call_command("flush_expired_token_families")
    assert "deleted 1 rotation record(s) and 1 revoked token family(ies)" in capsys.readouterr().out
    assert not RotatedRefreshToken.objects.exists() and not RevokedTokenFamily.objects.exists()


def test_store_is_off_when_rotation_is(api, user):
    token = obtain(api).data["refresh"]
    with simple_jwt(ROTATE_REFRESH_TOKENS=True):  # no BLACKLIST_AFTER_ROTATION: upstream's behaviour
        assert not store.rotation_active()
        assert refresh(api, token).status_code == 200
        assert refresh(api, token).status_code == 200
    assert not RotatedRefreshToken.objects.exists()


# --- concurrency: N threads, N connections, all past the user check before any consumes ----------


def race(token, n, monkeypatch, *, settings_changes=ROTATING):
    return concurrent_refreshes(token, n, monkeypatch, settings_changes)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_refreshes_of_one_token_one_wins(user, monkeypatch):
    token = obtain(APIClient()).data["refresh"]
    responses = race(token, 8, monkeypatch)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 7, [(r.status_code, r.data) for r in responses]
    assert {code(r) for r in responses if r.status_code == 401} <= {"token_reused", "token_family_revoked"}
    assert RotatedRefreshToken.objects.filter(parent_jti=jti(token)).count() == 1
    [winner] = [r.data["refresh"] for r in responses if r.status_code == 200]
    with simple_jwt(**ROTATING):
        # the losers presented a consumed token: with no grace period the family is revoked
        assert code(refresh(APIClient(), winner)) == "token_family_revoked"
    assert blacklisted(winner)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_refreshes_within_grace_one_wins_nothing_revoked(user, monkeypatch):
    token = obtain(APIClient()).data["refresh"]
    responses = race(token, 8, monkeypatch, settings_changes={**ROTATING, "REFRESH_TOKEN_REUSE_GRACE_SECONDS": 60})
    assert sorted(r.status_code for r in responses) == [200] + [401] * 7
    assert {code(r) for r in responses if r.status_code == 401} == {"token_already_rotated"}
    [winner] = [r.data["refresh"] for r in responses if r.status_code == 200]
    with simple_jwt(**ROTATING):
        assert refresh(APIClient(), winner).status_code == 200


# --- a locked database is a 503 to retry, never a 500, and consumes nothing -----------------------


@pytest.mark.django_db(transaction=True)
def test_locked_database_is_503_and_the_token_survives(user, rotating):
    api = APIClient()
    token = obtain(api).data["refresh"]
    with token_store_locked():
        response = refresh(api, token)
    assert (response.status_code, code(response)) == (503, "token_store_busy")
    assert response["Retry-After"] == "1"
    assert not RotatedRefreshToken.objects.exists()
    assert refresh(api, token).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_token_minted_during_a_revocation_does_not_survive_it(user, monkeypatch):
    """A refreshes T1 while B replays T0 (revoking the family): whatever A gets must be dead.

    Paused before A consumes (every database), and on PostgreSQL also inside A's transaction,
    after the consuming INSERT (SQLite serialises writers, so that interleaving cannot happen there).
    """
    interleavings = [(policy, "token_user")]
    if connection.vendor == "postgresql":
        interleavings.append((store, "record_outstanding"))
    for module, name in interleavings:
        with simple_jwt(**ROTATING):
            t0 = obtain(APIClient()).data["refresh"]
            t1 = refresh(APIClient(), t0).data["refresh"]
        real = getattr(module, name)
        paused, resume = threading.Event(), threading.Event()

        def pausing(*args, real=real, paused=paused, resume=resume, **kwargs):
            paused.set()
            assert resume.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, pausing)
        responses = {}

        def run(key, token, responses=responses):
            try:
                responses[key] = refresh(APIClient(), token)
            finally:
                connections.close_all()

        with simple_jwt(**ROTATING):
            a = threading.Thread(target=run, args=("a", t1))
            a.start()
            assert paused.wait(30)
            monkeypatch.setattr(module, name, real)  # B runs unpaused
            b = threading.Thread(target=run, args=("b", t0))
            b.start()
            b.join(timeout=1)  # B finishes, or waits on A's uncommitted rows
            resume.set()
            a.join(timeout=30)
            b.join(timeout=30)
            assert code(responses["b"]) == "token_reused", (name, responses["b"].data)
            if responses["a"].status_code == 200:
                minted = responses["a"].data["refresh"]
                assert code(refresh(APIClient(), minted)) == "token_family_revoked", name
                assert code(verify(APIClient(), minted)) == "token_family_revoked", name
                assert code(verify(APIClient(), responses["a"].data["access"])) == "token_family_revoked", name
            else:
                assert code(responses["a"]) == "token_family_revoked", (name, responses["a"].data)
            assert name == "record_outstanding" or responses["a"].status_code == 401


@pytest.mark.django_db(transaction=True)
def test_locked_database_while_revoking_is_503_then_the_retry_revokes(user, monkeypatch):
    api = APIClient()
    with simple_jwt(**ROTATING):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data["refresh"]
    family = jti(first)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        connection.connection.execute("PRAGMA busy_timeout = 200")

        def lock():
            holder.execute("BEGIN IMMEDIATE")
    else:
        holder = connections.create_connection("default")
        holder.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")

        def lock():  # an uncommitted row with the same key: the revoking INSERT must wait for it
            with holder.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {RevokedTokenFamily._meta.db_table} (family, revoked_at, expires_at) "
                    "VALUES (%s, now(), now())",
                    [family],
                )

    real_revoke = store.revoke_family

    def locked_revoke(*args, **kwargs):
        lock()  # only now: the consuming transaction has already rolled back
        return real_revoke(*args, **kwargs)

    monkeypatch.setattr(store, "revoke_family", locked_revoke)
    try:
        with simple_jwt(**ROTATING):
            response = refresh(api, first)
    finally:
        holder.rollback()
        holder.close()
    assert (response.status_code, code(response)) == (503, "token_store_busy")
    assert not RevokedTokenFamily.objects.exists()
    monkeypatch.setattr(store, "revoke_family", real_revoke)
    with simple_jwt(**ROTATING):
        assert code(refresh(api, first)) == "token_reused"
        assert code(refresh(api, second)) == "token_family_revoked"
