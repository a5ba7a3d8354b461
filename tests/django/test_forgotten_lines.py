"""A forgotten settings line never silently switches a guarantee off (issue 9, items 2 and 3).

Either the project gets every guarantee, or `manage.py check` reports an error
naming the setting, route or class that disables one.
"""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from rest_framework.test import APIClient
from simplejwt_rs.checks import check_classes, check_project_imports, check_routes, check_settings
from simplejwt_rs.models import RevokedTokenFamily

from tests.django.helpers import code, concurrent_refreshes, logout, me, obtain, refresh, verify

pytestmark = pytest.mark.django_db

# The project of a user who changed nothing in SIMPLE_JWT but rotation: every serializer line is
# upstream's default, and tests/django/urls.py routes upstream's own views.
UPSTREAM_LINES = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def messages(*check_functions):
    found = []
    for check in check_functions or (check_settings, check_classes, check_routes):
        found.extend(check())
    return found


def ids(*check_functions):
    return sorted(message.id for message in messages(*check_functions))


@override_settings(SIMPLE_JWT=UPSTREAM_LINES)
def test_upstream_views_with_default_serializer_lines_get_every_guarantee(api, user):
    assert ids() == []
    pair = obtain(api).data
    second = refresh(api, pair["refresh"]).data
    replay = refresh(api, pair["refresh"])
    assert (replay.status_code, code(replay)) == (401, "token_reused")
    assert code(refresh(api, second["refresh"])) == "token_family_revoked"
    assert RevokedTokenFamily.objects.exists()

    stolen = obtain(api).data["refresh"]
    refresh(APIClient(), stolen)
    assert code(logout(api, stolen)) == "token_reused"

    fresh = obtain(api).data
    user.delete()
    for response in (refresh(api, fresh["refresh"]), verify(api, fresh["access"]), verify(api, fresh["refresh"])):
        assert (response.status_code, code(response)) == (401, "no_active_account")
    assert code(me(api, fresh["access"])) == "user_not_found"


@pytest.mark.django_db(transaction=True)
@override_settings(SIMPLE_JWT=UPSTREAM_LINES)
def test_upstream_views_with_default_serializer_lines_are_single_use_under_concurrency(user, monkeypatch):
    token = obtain(APIClient()).data["refresh"]
    responses = concurrent_refreshes(token, 8, monkeypatch)
    assert sorted(r.status_code for r in responses) == [200] + [401] * 7


def test_upstream_authentication_in_rest_framework_is_an_error(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    }
    [message] = messages(check_classes)
    assert message.id == "simplejwt_rs.E011" and isinstance(message, checks.Error)
    assert "REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES']" in message.msg
    assert "rest_framework_simplejwt.authentication.JWTAuthentication" in message.msg


@pytest.fixture
def installed_package(tmp_path, monkeypatch):
    """``vendor_jwt``: a package installed in a site-packages directory, with its own subclass of upstream's
    refresh serializer (as dj-rest-auth has)."""
    package = tmp_path / "site-packages" / "vendor_jwt"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from rest_framework_simplejwt.serializers import TokenRefreshSerializer\n\n\n"
        "class CookieRefreshSerializer(TokenRefreshSerializer):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    yield
    sys.modules.pop("vendor_jwt", None)


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        # The project's own classes (this repository's code): E015, which names the import to change.
        ("TOKEN_REFRESH_SERIALIZER", "tests.django.helpers.UpstreamRefreshSubclass", "simplejwt_rs.E015"),
        ("AUTH_TOKEN_CLASSES", ("tests.django.helpers.UpstreamAccessSubclass",), "simplejwt_rs.E015"),
        # An installed package's subclass of upstream's (in a site-packages directory): E010, no import to change.
        ("TOKEN_REFRESH_SERIALIZER", "vendor_jwt.CookieRefreshSerializer", "simplejwt_rs.E010"),
        ("TOKEN_VERIFY_SERIALIZER", "tests.django.helpers.EchoRefreshSerializer", "simplejwt_rs.E010"),
        ("TOKEN_OBTAIN_SERIALIZER", "no.such.module.Serializer", "simplejwt_rs.E010"),
        ("AUTH_TOKEN_CLASSES", ("no.such.module.AccessToken",), "simplejwt_rs.E012"),
        ("AUTH_TOKEN_CLASSES", ("simplejwt_rs.tokens.Token", "simplejwt_rs.new_jti"), "simplejwt_rs.E012"),
        (
            "AUTH_TOKEN_CLASSES",
            ("simplejwt_rs.tokens.AccessToken", "tests.django.helpers.NoSuchToken"),
            "simplejwt_rs.E012",
        ),
    ],
)
def test_a_class_built_on_upstreams_is_an_error_naming_the_setting(setting, value, expected, installed_package):
    with override_settings(SIMPLE_JWT={setting: value}):
        found = messages(check_classes, check_project_imports)  # (never an ImportError out of the check)
    assert [m.id for m in found] == [expected]
    assert setting in found[0].msg


def test_e010_names_ours_of_the_same_name_as_the_base_class(installed_package):
    with override_settings(SIMPLE_JWT={"TOKEN_REFRESH_SERIALIZER": "vendor_jwt.CookieRefreshSerializer"}):
        [found] = messages(check_classes)
    assert found.hint == "Subclass simplejwt_rs.serializers.TokenRefreshSerializer instead."
    with override_settings(SIMPLE_JWT={"TOKEN_OBTAIN_SERIALIZER": "tests.django.helpers.EchoRefreshSerializer"}):
        [found] = messages(check_classes)
    assert found.hint == "Subclass simplejwt_rs.serializers.TokenObtainPairSerializer instead."  # the default's


def test_upstream_class_strings_are_swapped_not_errors():
    upstream = {
        "TOKEN_REFRESH_SERIALIZER": "rest_framework_simplejwt.serializers.TokenRefreshSerializer",
        "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
        "USER_AUTHENTICATION_RULE": "rest_framework_simplejwt.authentication.default_user_authentication_rule",
    }
    with override_settings(SIMPLE_JWT=upstream):
        assert ids() == []


@override_settings(ROOT_URLCONF="tests.django.urls_bypass")
def test_routes_that_bypass_us_are_errors_naming_the_route():
    found = messages(check_routes)
    assert sorted((m.id, m.msg.split("'")[1]) for m in found) == [
        ("simplejwt_rs.E013", "bad/refresh/"),
        ("simplejwt_rs.E014", "bad/me/"),
    ]


@override_settings(ROOT_URLCONF="tests.django.urls_bypass")
def test_manage_py_check_fails_on_a_bypass():
    with pytest.raises(SystemCheckError, match="bad/refresh/"):
        call_command("check")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", "5"),
        ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", -1),
        ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", True),
        ("REFRESH_TOKEN_REUSE_GRACE_SECONDS", float("nan")),
        ("REFRESH_TOKEN_REUSE_DETECTION", "yes"),
        ("VERIFY_CHECKS_USER", 0),
        ("CHECK_USER_IS_ACTIVE", "False"),
        ("TOKEN_FAMILY_CLAIM", ""),
        ("TOKEN_FAMILY_CLAIM", 7),
        ("MAX_TOKEN_BYTES", "4096"),
        ("MAX_TOKEN_BYTES", 0),
        ("JWK_CACHE_SECONDS", "300"),
        ("JWK_REFETCH_INTERVAL", None),
    ],
)
def test_our_settings_of_the_wrong_type_are_check_errors(name, value):
    with override_settings(SIMPLE_JWT={name: value}):
        found = [m for m in messages(check_settings) if m.id == "simplejwt_rs.E008"]
    assert len(found) == 1 and name in found[0].msg, found


@pytest.mark.parametrize("grace", [timedelta(seconds=30), 30, 30.0])
def test_a_grace_period_as_timedelta_or_number_works(api, user, grace):
    with override_settings(SIMPLE_JWT={**UPSTREAM_LINES, "REFRESH_TOKEN_REUSE_GRACE_SECONDS": grace}):
        assert ids() == []
        first = obtain(api).data["refresh"]
        refresh(api, first)
        assert code(refresh(api, first)) == "token_already_rotated"


@pytest.mark.parametrize("grace", ["5", timedelta(seconds=-5), [5]])
def test_a_grace_period_of_the_wrong_type_falls_back_to_none_not_to_a_500(api, user, grace):
    with override_settings(SIMPLE_JWT={**UPSTREAM_LINES, "REFRESH_TOKEN_REUSE_GRACE_SECONDS": grace}):
        first = obtain(api).data["refresh"]
        second = refresh(api, first).data["refresh"]
        replay = refresh(api, first)
        assert (replay.status_code, code(replay)) == (401, "token_reused")
        assert code(refresh(api, second)) == "token_family_revoked"


def test_a_user_id_field_that_is_not_unique_is_a_warning():
    with override_settings(SIMPLE_JWT={"USER_ID_FIELD": "email"}):
        found = messages(check_classes)
    assert [(m.id, type(m)) for m in found] == [("simplejwt_rs.W009", checks.Warning)]


def test_using_us_without_the_app_installed_fails_at_once():
    script = (
        "import django; from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth', "
        "'rest_framework', 'rest_framework_simplejwt'], SECRET_KEY='x' * 50)\n"
        "django.setup()\n"
        "import simplejwt_rs.serializers\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "'simplejwt_rs' is not in INSTALLED_APPS" in result.stderr


def test_minting_routes_under_jwk_url_are_errors():
    with override_settings(SIMPLE_JWT={"ALGORITHM": "RS256", "SIGNING_KEY": None, "JWK_URL": "http://127.0.0.1:9/"}):
        found = [m for m in messages(check_routes) if m.id == "simplejwt_rs.E031"]
    routes = sorted(m.msg.split("'")[1] for m in found)
    assert routes == [
        "api/token/",
        "api/token/refresh/",
        "api/token/sliding/",
        "api/token/sliding/refresh/",
        "rs/token/",
        "rs/token/refresh/",
    ]
