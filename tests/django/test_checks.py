"""System checks for risky configuration."""

from django.core import checks
from simplejwt_rs.checks import check_classes, check_routes, check_settings

from tests.django.helpers import rsa_keys, simple_jwt


def ids():
    return sorted(message.id for check in (check_settings, check_classes, check_routes) for message in check())


def test_project_settings_are_clean():
    assert ids() == []


def test_registered_with_django():
    with simple_jwt(SIGNING_KEY="short"):
        assert "simplejwt_rs.W001" in {message.id for message in checks.run_checks(tags=[checks.Tags.security])}


def test_short_hmac_key():
    with simple_jwt(SIGNING_KEY="x" * 31):
        assert ids() == ["simplejwt_rs.W001"]
    with simple_jwt(SIGNING_KEY="x" * 32):
        assert ids() == []
    with simple_jwt(ALGORITHM="HS512", SIGNING_KEY="x" * 63):
        assert ids() == ["simplejwt_rs.W001"]


def test_asymmetric_without_verifying_key():
    private, public = rsa_keys()
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private):
        assert ids() == ["simplejwt_rs.E002"]
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public):
        assert ids() == []
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=None, JWK_URL="http://127.0.0.1:9/jwks.json"):
        assert [m.id for m in check_settings()] == []  # (the routes that mint are E031)


def test_unusable_key():
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY="not a pem", VERIFYING_KEY="not a pem either"):
        assert ids() == ["simplejwt_rs.E004"]


def test_blacklist_settings_without_the_app(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.endswith("token_blacklist")]
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        assert ids() == ["simplejwt_rs.E003"]
    assert ids() == []


def test_rotation_checks(settings):
    rotating = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
    with simple_jwt(**rotating):
        assert ids() == []
    with simple_jwt(**rotating, JTI_CLAIM=None):
        assert ids() == ["simplejwt_rs.E005"]
    with simple_jwt(**rotating, TOKEN_FAMILY_CLAIM=None):
        assert ids() == ["simplejwt_rs.W007"]
    with simple_jwt(**rotating, TOKEN_FAMILY_CLAIM=None, REFRESH_TOKEN_REUSE_DETECTION=False):
        assert ids() == []
    with simple_jwt(ROTATE_REFRESH_TOKENS=True):
        assert ids() == []
