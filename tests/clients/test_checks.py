"""`manage.py check` on subclasses of upstream's classes, with PATCH_UPSTREAM_CLASSES off and on."""

from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from simplejwt_rs.checks import check_classes, check_project_imports, check_routes, check_upstream_subclasses


def ids():
    checks = (check_classes, check_routes, check_upstream_subclasses, check_project_imports)
    found = (message.id for check in checks for message in check())
    return Counter(found)


def messages(check_id, check=check_upstream_subclasses):
    return [m.msg for m in check() if m.id == check_id]


@pytest.fixture
def routes(settings):
    settings.ROOT_URLCONF = "tests.clients.urls_checks"
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": []}


def opt_in(on):
    return override_settings(SIMPLE_JWT={**django_settings.SIMPLE_JWT, "PATCH_UPSTREAM_CLASSES": on})


def test_without_the_opt_in_every_subclass_is_reported(routes):
    with opt_in(False):
        # upstream's own classes routed (E013, E014); this project's own subclasses of upstream's (the module is
        # this repository's code): one E015 per import to change, naming every class built on it; the one built
        # on dj-rest-auth's class: E013 for its route and E020 naming dj_rest_auth (the opt-in is the fix).
        assert ids() == {"simplejwt_rs.E013": 2, "simplejwt_rs.E014": 1, "simplejwt_rs.E015": 3, "simplejwt_rs.E020": 1}
        [installed] = messages("simplejwt_rs.E020")
        assert installed.startswith("The installed package 'dj_rest_auth' ")
        assert "tests.clients.urls_checks.ProjectCookieRefreshSerializer" in installed
        found = {m.hint.split("`")[1]: (m.msg, m.hint) for m in check_project_imports()}
        assert set(found) == {
            "from rest_framework_simplejwt.authentication import JWTAuthentication",
            "from rest_framework_simplejwt.serializers import TokenRefreshSerializer",
            "from rest_framework_simplejwt.tokens import RefreshToken",
        }
        auth_msg, auth_hint = found["from rest_framework_simplejwt.authentication import JWTAuthentication"]
        for name in ("HeaderOrCookieAuthentication", "OwnUserAuthentication"):
            assert f"tests.clients.urls_checks.{name}" in auth_msg
        assert "'good/me/'" in auth_msg and "'bad/me/'" in auth_msg
        assert auth_hint.startswith("In tests/clients/urls_checks.py, change")
        assert "`from simplejwt_rs.authentication import JWTAuthentication`" in auth_hint
        assert all("PATCH_UPSTREAM_CLASSES" not in hint for _, hint in found.values())


def test_with_the_opt_in_only_what_still_bypasses_is_reported(routes):
    with opt_in(True):
        assert ids() == {
            "simplejwt_rs.E013": 1,  # OwnRefreshSerializer
            "simplejwt_rs.E014": 1,  # OwnUserAuthentication
            "simplejwt_rs.E021": 2,  # the same two, saying why
            "simplejwt_rs.E022": 1,  # ProjectRefreshToken
        }
        e021 = " ".join(messages("simplejwt_rs.E021"))
        assert "OwnRefreshSerializer.validate" in e021 and "OwnUserAuthentication.get_user" in e021
        assert "ProjectRefreshToken" in messages("simplejwt_rs.E022")[0]


def test_dj_rest_auth_project():
    with opt_in(False):
        assert ids() == {"simplejwt_rs.E011": 1, "simplejwt_rs.E013": 1, "simplejwt_rs.E020": 1}
        assert "'dj_rest_auth'" in messages("simplejwt_rs.E020")[0]
    with opt_in(True):
        assert ids() == {}
