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


def _emitted_ids() -> dict[str, set[str]]:
    """Every check id a message of the package is built with (``id="..."``, read from the code): id -> modules."""
    import ast

    root = Path(__file__).resolve().parents[2] / "python" / "simplejwt_rs"
    found: dict[str, set[str]] = {}
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            for keyword in node.keywords if isinstance(node, ast.Call) else ():
                if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                    found.setdefault(keyword.value.value, set()).add(source.name)
    return found


def test_every_check_id_is_in_the_one_table_and_every_table_id_is_emitted():
    """checks.CHECKS is the one list of ids: each message takes its level from it, none is missing or extra."""
    from simplejwt_rs.checks import CHECKS

    emitted = _emitted_ids()
    assert set(emitted) == set(CHECKS)
    assert all(modules == {"checks.py"} for modules in emitted.values())
    assert list(CHECKS) == sorted(CHECKS, key=lambda check_id: check_id[-3:])  # in number order
    for check_id, (level, meaning) in CHECKS.items():
        assert level == (checks.ERROR if check_id[len("simplejwt_rs.")] == "E" else checks.WARNING)
        assert meaning.endswith(".") and "\n" not in meaning and "|" not in meaning


def test_a_message_takes_its_level_from_the_table():
    from simplejwt_rs.checks import CHECKS

    with simple_jwt(SIGNING_KEY="short", ALGORITHM="HS256", BLACKLIST_AFTER_ROTATION="yes"):
        found = [m for m in check_settings() if m.id in ("simplejwt_rs.W001", "simplejwt_rs.E008")]
    assert {m.id for m in found} == {"simplejwt_rs.W001", "simplejwt_rs.E008"}
    for message in found:
        assert message.level == CHECKS[message.id][0]
        assert isinstance(message, checks.Warning if message.level == checks.WARNING else checks.Error)


def test_the_checks_table_renders_as_markdown():
    from simplejwt_rs.checks import CHECKS, checks_table

    lines = checks_table().splitlines()
    assert lines[:2] == ["| id | level | meaning |", "| --- | --- | --- |"]
    assert len(lines) == 2 + len(CHECKS)
    for line, (check_id, (_level, meaning)) in zip(lines[2:], CHECKS.items(), strict=True):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells == [f"`{check_id}`", "Error" if check_id.split(".")[1][0] == "E" else "Warning", meaning]


def test_one_check_run_walks_the_url_routes_once(monkeypatch):
    """check_routes, check_keys and the subclass checks share one walk of the routes per URLconf."""
    from simplejwt_rs import checks as ours

    walks = []
    walk = ours._walk

    def counting(patterns, prefix=""):
        if not prefix:
            walks.append(prefix)
        return walk(patterns, prefix)

    monkeypatch.setattr(ours, "_walk", counting)
    monkeypatch.setattr(ours, "_walked", [])
    checks.run_checks(tags=[checks.Tags.security])
    assert len(walks) == 1


# --- USER_PK_CLAIM (E110, W110) --------------------------------------------------------------------------------


def test_a_pk_claim_that_is_the_id_claim_is_e110_and_names_nobody(db):
    """for_user writes the pk over the id claim, so the policy looks the pk up in USER_ID_FIELD's column."""
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from tests.django.helpers import PASSWORD

    User.objects.create_user("alice", password=PASSWORD)
    with simple_jwt(USER_ID_FIELD="username", USER_PK_CLAIM="user_id"):
        assert "simplejwt_rs.E110" in ids()
        api = APIClient()
        access = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data["access"]
        assert api.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    for claim in ("token_type", "jti", "token_family", "exp", "iat"):
        with simple_jwt(USER_ID_FIELD="username", USER_PK_CLAIM=claim):
            assert "simplejwt_rs.E110" in ids(), claim
    with simple_jwt(USER_PK_CLAIM="user_id"):  # USER_ID_FIELD is the pk: the claim is not written
        assert "simplejwt_rs.E110" not in ids()
    with simple_jwt(USER_ID_FIELD="username"):
        assert "simplejwt_rs.E110" not in ids()


def test_no_pk_claim_with_another_id_field_is_w110():
    with simple_jwt(USER_ID_FIELD="username", USER_PK_CLAIM=None):
        assert "simplejwt_rs.W110" in ids()
    with simple_jwt(USER_PK_CLAIM=None):  # the id field is the pk: nothing to bind
        assert "simplejwt_rs.W110" not in ids()
    with simple_jwt(USER_ID_FIELD="username"):
        assert "simplejwt_rs.W110" not in ids()
