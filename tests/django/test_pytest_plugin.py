"""The pytest plugin (simplejwt_rs.pytest_plugin) as a project's own test suite uses it.

Each test writes a small Django project and a user's test file into pytester's
directory and runs pytest on them in a subprocess (Django's settings are
per process, and this one is already set up with ours). The plugin comes from
the installed ``pytest11`` entry point; from a checkout whose install predates
it, it is loaded with ``-p`` and ``test_the_entry_point_is_installed`` fails.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from harness import jwt_settings as migration

pytest_plugins = ["pytester"]

PLUGIN = "simplejwt_rs.pytest_plugin"
# Named as the module: naming the plugin again (-p, pytest_plugins) then loads it once, not twice.
ENTRY_POINT_INSTALLED = any(ep.name == ep.value == PLUGIN for ep in entry_points(group="pytest11"))
LOAD_PLUGIN = () if ENTRY_POINT_INSTALLED else ("-p", PLUGIN)

# A user's project: the migration's settings (the same lines the README lists), rotation on,
# a custom obtain serializer adding a claim, and routes for obtain, refresh and one protected view.
SETTINGS = f"""
SECRET_KEY = "a-project-secret-key-long-enough-for-hs256-and-some-more-bytes"
USE_TZ = True
ROOT_URLCONF = "project"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "simplejwt_rs",
]
REST_FRAMEWORK = {{
    **{migration.REST_FRAMEWORK!r},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}}
SIMPLE_JWT = {{
    **{migration.SIMPLE_JWT!r},
    "TOKEN_OBTAIN_SERIALIZER": "project.NameClaimSerializer",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}}
"""

PROJECT = """
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from simplejwt_rs.serializers import TokenObtainPairSerializer
from simplejwt_rs.views import TokenObtainPairView, TokenRefreshView


class NameClaimSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token["name"] = user.username
        return token


class PlanClaimSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token["plan"] = "gold"
        return token


@api_view(["GET"])
def me(request):
    return Response({"username": request.user.username, "name": request.auth.get("name"),
                     "plan": request.auth.get("plan")})


urlpatterns = [
    path("token/", TokenObtainPairView.as_view()),
    path("token/refresh/", TokenRefreshView.as_view()),
    path("me/", me),
]
"""

USER_TESTS = """
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from simplejwt_rs.tokens import AccessToken, RefreshToken


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="secret")


def test_tokens_come_from_the_configured_serializer(alice, jwt_tokens):
    tokens = jwt_tokens(alice)
    refresh, access = RefreshToken(tokens["refresh"]), AccessToken(tokens["access"])
    assert (refresh["name"], access["name"]) == ("alice", "alice")
    assert refresh["token_family"] == refresh["jti"] == access["token_family"]
    assert OutstandingToken.objects.filter(jti=refresh["jti"], user=alice).exists()


def test_the_refresh_token_rotates_once(alice, jwt_tokens, assert_token_refused):
    refresh = jwt_tokens(alice)["refresh"]
    assert APIClient().post("/token/refresh/", {"refresh": refresh}, format="json").status_code == 200
    replayed = APIClient().post("/token/refresh/", {"refresh": refresh}, format="json")
    assert_token_refused(replayed, "token_reused")


def test_the_fixtures_get_database_access_themselves(jwt_client):
    bob = User.objects.create_user("bob")
    assert jwt_client(bob).get("/me/").data["username"] == "bob"


def test_one_client_per_user(alice, jwt_client):
    bob = User.objects.create_user("bob")
    for user in (alice, bob, alice):
        response = jwt_client(user).get("/me/")
        assert (response.status_code, response.data["username"]) == (200, user.username)


@override_settings(SIMPLE_JWT={
    **settings.SIMPLE_JWT,
    "AUTH_HEADER_TYPES": ("JWT", "Bearer"),
    "AUTH_HEADER_NAME": "HTTP_X_ACCESS_TOKEN",
    "TOKEN_OBTAIN_SERIALIZER": "project.PlanClaimSerializer",
})
def test_override_settings_applies(alice, jwt_client):
    client = jwt_client(alice)
    assert client._credentials == {"HTTP_X_ACCESS_TOKEN": "JWT " + client.tokens["access"]}
    response = client.get("/me/")
    assert (response.status_code, response.data["plan"], response.data["name"]) == (200, "gold", None)


def test_refusals(alice, jwt_client, assert_token_refused):
    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(seconds=-1)}):
        expired = jwt_client(alice)
    assert_token_refused(expired.get("/me/"), "token_not_valid")  # code in data["code"]
    wrong_password = APIClient().post("/token/", {"username": "alice", "password": "nope"}, format="json")
    assert_token_refused(wrong_password, "no_active_account")  # code in data["detail"].code
    client = jwt_client(alice)
    alice.is_active = False
    alice.save()
    assert_token_refused(client.get("/me/"), "user_inactive")


def test_fails_on_a_success(alice, jwt_client, assert_token_refused):
    assert_token_refused(jwt_client(alice).get("/me/"), "token_not_valid")


def test_fails_on_another_code(alice, jwt_client, assert_token_refused):
    alice.is_active = False
    alice.save()
    assert_token_refused(jwt_client(alice).get("/me/"), "token_not_valid")
"""


def run(pytester: pytest.Pytester, *args: str, load: tuple[str, ...] = LOAD_PLUGIN) -> pytest.RunResult:
    # hypothesis's plugin (in our dev requirements) costs a second per start and is no part of a user's project.
    return pytester.runpytest_subprocess(
        *load, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args, timeout=300
    )


def test_the_entry_point_is_installed() -> None:
    assert ENTRY_POINT_INSTALLED, f"no pytest11 entry point for {PLUGIN}: reinstall the package (make install)"


def test_a_project_suite_uses_every_fixture(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(project_settings=SETTINGS, project=PROJECT, test_user=USER_TESTS)
    # A project may name the plugin itself as well; with the entry point it is still loaded once.
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]\n")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "project_settings")
    result = run(pytester)
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_fails_on_a_success*",
            "E*AssertionError: expected a 401 refusal with code 'token_not_valid', got status 200 with code None",
            'E*body: {"username":"alice","name":"alice","plan":null}',
        ],
        consecutive=False,
    )
    result.stdout.fnmatch_lines(
        [
            "*test_fails_on_another_code*",
            "E*AssertionError: expected a 401 refusal with code 'token_not_valid', got status 401 with code "
            "'user_inactive'",
            'E*body: {"detail":"User is inactive","code":"user_inactive"}',
        ]
    )
    # The failure points at the user's line, not into the plugin.
    assert "pytest_plugin.py" not in result.stdout.str()


INERT_TESTS = """
import sys


def test_the_plugin_is_loaded_but_inert(pytestconfig):
    modules = [getattr(plugin, "__name__", None) for plugin in pytestconfig.pluginmanager.get_plugins()]
    assert "simplejwt_rs.pytest_plugin" in modules
    assert not pytestconfig.pluginmanager.has_plugin("simplejwt_rs.fixtures")
    assert "django" not in sys.modules


def test_no_fixture(jwt_tokens):
    pass
"""


def test_inert_without_django_settings(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_plain=INERT_TESTS)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    # Named with -p as well: with the entry point installed, still loaded once.
    result = run(pytester, "-p", "no:django", load=("-p", PLUGIN))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'jwt_tokens' not found*"])


def test_inert_without_drf(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Django configured (pytest-django) but DRF not importable: still no fixtures and no error."""
    pytester.makepyfile(
        plain_settings='SECRET_KEY = "x"\nUSE_TZ = True\nINSTALLED_APPS = ["django.contrib.contenttypes"]\n',
        test_plain="""
            import sys

            def test_no_fixtures(pytestconfig):
                assert "django.conf" in sys.modules
                assert not pytestconfig.pluginmanager.has_plugin("simplejwt_rs.fixtures")
        """,
    )
    # A conftest that makes rest_framework unimportable, as in a project without DRF.
    pytester.makeconftest("import sys\nsys.modules['rest_framework'] = None\n")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "plain_settings")
    result = run(pytester)
    result.assert_outcomes(passed=1)
