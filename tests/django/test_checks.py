"""System checks for risky configuration."""

import re
from pathlib import Path

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


def test_the_checks_page_lists_every_check_id_and_no_other():
    """One table lists the check ids: docs/checks.md's, which every id the code emits must be in (and only those)."""
    root = Path(__file__).resolve().parents[2]
    emitted = set()
    for source in (root / "python" / "simplejwt_rs").rglob("*.py"):
        emitted |= set(re.findall(r'id="(simplejwt_rs\.[EW]\d{3})"', source.read_text()))
    page = (root / "docs" / "checks.md").read_text()
    section = page.split("# System checks (`manage.py check`)", 1)[1].split("\n# ", 1)[0]
    listed = re.findall(r"^- `(simplejwt_rs\.[EW]\d{3})`", section, flags=re.MULTILINE)
    assert len(listed) == len(set(listed))
    assert set(listed) == emitted
    assert listed == sorted(listed, key=lambda check_id: check_id[-3:])  # in number order


def test_what_counts_as_the_projects_own_code(settings, tmp_path, monkeypatch):
    from rest_framework.views import APIView
    from simplejwt_rs.checks import _third_party

    from tests.django.helpers import UpstreamRefreshSubclass

    package = tmp_path / "site-packages" / "vendor_jwt_checks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("class Installed:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    from vendor_jwt_checks import Installed

    assert _third_party(Installed) and _third_party(APIView)  # in a site-packages directory
    assert not _third_party(UpstreamRefreshSubclass)  # this repository: the working directory
    assert not _third_party(type("Defined", (), {"__module__": "generated"}))  # no file: generated code
    settings.BASE_DIR = Path(__file__).resolve().parents[2]
    assert not _third_party(UpstreamRefreshSubclass) and _third_party(Installed)
    settings.BASE_DIR = tmp_path  # not installed either: still the project's (never the opt-in's advice)
    assert not _third_party(UpstreamRefreshSubclass)
    settings.BASE_DIR = tmp_path / "site-packages"  # a site-packages directory is never the project's
    assert _third_party(Installed)
