"""A failing database at every entry point (issue 19 item 12, issue 25 item 2).

- The database unreachable (SQLite: a file that cannot be opened; PostgreSQL: a port nobody listens
  on), real errors from the real driver: every endpoint and both authentication classes answer
  503 ``database_unavailable`` with ``Retry-After``, never a 500, and the log names what failed.
  The PostgreSQL restart under load over HTTP is tests/multi/test_database_restart.py.
- A forgotten ``migrate`` (our migrations unapplied): refresh and logout are a server error, not a
  "busy, retry" 503, and the log and ``manage.py check --database default`` name the migrations.
"""

import io
import logging
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient, APIRequestFactory
from simplejwt_rs import store
from simplejwt_rs.authentication import JWTStatelessUserAuthentication
from simplejwt_rs.policy_cache import breaker
from simplejwt_rs.views import RevokeUserTokensView

from tests.django.helpers import PASSWORD, code, database_down, logout, me, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db(transaction=True)

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def unavailable(response, caplog, what):
    assert response.status_code == 503, (response.status_code, getattr(response, "data", None))
    assert code(response) == "database_unavailable", response.data
    assert response["Retry-After"] == "1"
    [record] = [r for r in caplog.records if r.name == "simplejwt_rs.database"]
    assert record.levelno == logging.ERROR and what in record.getMessage(), record.getMessage()
    assert "unavailable" in record.getMessage()
    caplog.clear()


def sliding_token(api):
    response = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.data
    return response.data["token"]


@pytest.mark.parametrize("settings", [{}, ROTATING], ids=["plain", "rotating"])
def test_every_endpoint_answers_an_outage_with_503_and_a_code(user, caplog, settings):
    api = APIClient(raise_request_exception=False)
    with simple_jwt(
        **settings, AUTH_TOKEN_CLASSES=("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken")
    ):
        pair = obtain(api).data
        sliding = sliding_token(api)
        with database_down(), caplog.at_level(logging.WARNING, logger="simplejwt_rs"):
            unavailable(obtain(api), caplog, "TokenObtainSerializer.validate")  # Django's authenticate
            unavailable(
                api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json"),
                caplog,
                "TokenObtainSerializer.validate",
            )
            unavailable(refresh(api, pair["refresh"]), caplog, "TokenRefreshSerializer.validate")
            unavailable(
                refresh(api, pair["refresh"], url="/rs/token/refresh/"), caplog, "TokenRefreshSerializer.validate"
            )
            unavailable(
                api.post("/api/token/sliding/refresh/", {"token": sliding}, format="json"),
                caplog,
                "TokenRefreshSlidingSerializer.validate",
            )
            unavailable(verify(api, pair["refresh"]), caplog, "TokenVerifySerializer.validate")
            unavailable(logout(api, pair["refresh"]), caplog, "TokenBlacklistSerializer.validate")  # the user lookup
            unavailable(me(api, pair["access"]), caplog, "JWTAuthentication.get_user")
            unavailable(
                me(api, sliding), caplog, "JWTAuthentication.get_validated_token"
            )  # the sliding token's blacklist
        # Back up: the same tokens work, nothing was consumed.
        assert refresh(api, pair["refresh"]).status_code == 200
        assert me(api, pair["access"]).status_code == 200


def test_log_out_everywhere_and_the_stateless_class_with_a_cold_cache(user, caplog):
    api = APIClient(raise_request_exception=False)
    policy = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "outage"}
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "policy": policy}
    ):
        with simple_jwt(POLICY_CACHE="policy", **ROTATING):
            access = obtain(api).data["access"]
            caches["policy"].clear()  # cold: the stateless class must ask the database
            breaker._pending.clear()
            with database_down(), caplog.at_level(logging.WARNING, logger="simplejwt_rs"):
                unavailable(
                    api.get("/api/me/stateless/", HTTP_AUTHORIZATION=f"Bearer {access}"),
                    caplog,
                    "JWTStatelessUserAuthentication.get_user",
                )
            with simple_jwt(**ROTATING):
                # RevokeUserTokensView behind the stateless class (no user row): the store's write fails.
                view = RevokeUserTokensView.as_view(authentication_classes=[JWTStatelessUserAuthentication])
                request = APIRequestFactory().post("/revoke/", HTTP_AUTHORIZATION=f"Bearer {access}")
                with database_down(), caplog.at_level(logging.WARNING, logger="simplejwt_rs"):
                    response = view(request)
                    response.render()
                    unavailable(response, caplog, "revoke_user_tokens")
            caches["policy"].clear()
            breaker._pending.clear()


# --- a forgotten migrate ------------------------------------------------------------------------


@contextmanager
def migrated_back_to(target):
    call_command("migrate", "simplejwt_rs", target, verbosity=0)
    try:
        yield
    finally:
        call_command("migrate", "simplejwt_rs", verbosity=0)


@pytest.mark.parametrize(
    ("target", "missing"),
    [
        (
            "zero",
            [
                "simplejwt_rs.0001_initial",
                "simplejwt_rs.0002_rotatedrefreshtoken_logged_out",
                "simplejwt_rs.0003_revokedusertokens",
                "simplejwt_rs.0004_outstanding_tokens_not_stored",
                "simplejwt_rs.0005_tokensession",
            ],
        ),
        (
            "0001",
            [
                "simplejwt_rs.0002_rotatedrefreshtoken_logged_out",
                "simplejwt_rs.0003_revokedusertokens",
                "simplejwt_rs.0004_outstanding_tokens_not_stored",
                "simplejwt_rs.0005_tokensession",
            ],
        ),
    ],
)
def test_a_forgotten_migrate_is_a_server_error_that_names_the_migration(user, caplog, target, missing):
    api = APIClient(raise_request_exception=False)
    with simple_jwt(**ROTATING):
        pair = obtain(api).data
        other = obtain(api).data
        with migrated_back_to(target), caplog.at_level(logging.WARNING, logger="simplejwt_rs"):
            for send, token in ((refresh, pair["refresh"]), (logout, other["refresh"])):
                response = send(api, token)
                assert response.status_code == 500  # a misconfiguration: retrying cannot help
                assert "Retry-After" not in response
                [record] = [r for r in caplog.records if r.name == "simplejwt_rs.database"]
                assert record.levelno == logging.ERROR
                assert all(name in record.getMessage() for name in missing), record.getMessage()
                assert "migrate" in record.getMessage()
                caplog.clear()
            assert store.unapplied_migrations() == missing
            out, err = io.StringIO(), io.StringIO()
            # Without --database, database checks are not run (Django 6.1 runs them on every alias when the
            # "database" tag is asked for by name, so plain `check` is what a project runs and what we test).
            call_command("check", fail_level="CRITICAL", stdout=out, stderr=err)  # the test project has admin errors
            assert "simplejwt_rs.W051" not in out.getvalue() + err.getvalue()
            call_command("check", "--database", "default", "--tag", "database", stdout=out, stderr=err)
            report = out.getvalue() + err.getvalue()
            assert "simplejwt_rs.W051" in report and all(name in report for name in missing), report
        # Migrated: the check is quiet, the tokens work.
        assert store.unapplied_migrations() == []
        out, err = io.StringIO(), io.StringIO()
        call_command("check", "--database", "default", "--tag", "database", stdout=out, stderr=err)
        assert "W051" not in out.getvalue() + err.getvalue()
        assert refresh(api, pair["refresh"]).status_code == 200
