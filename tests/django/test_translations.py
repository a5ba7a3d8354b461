"""Our messages come out in the user's language, as upstream's do (issue 25, item 8).

Every message our code marks for translation (``_("...")`` in ``python/simplejwt_rs``) is
translated in every language upstream's catalogue has: by our catalogue
(``simplejwt_rs/locale``) for our own messages and for upstream's where upstream's catalogue has
no translation, by upstream's for the rest.  Each ``.mo`` is what its ``.po`` compiles to
(``scripts/compile_messages.py``), and an HTTP request with ``Accept-Language`` through Django's
``LocaleMiddleware`` gets a refusal of ours in its language.
"""

from __future__ import annotations

import ast
import gettext
import importlib.util
import re
from pathlib import Path

import pytest
import rest_framework_simplejwt
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient
from simplejwt_rs.errors import Refuse
from simplejwt_rs.tokens import AccessToken

from tests.django.helpers import PASSWORD, simple_jwt

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "simplejwt_rs"
OUR_LOCALE = PACKAGE / "locale"
UPSTREAM_LOCALE = Path(rest_framework_simplejwt.__file__).parent / "locale"
UPSTREAM_LANGUAGES = sorted(path.name for path in UPSTREAM_LOCALE.iterdir() if (path / "LC_MESSAGES").is_dir())

_spec = importlib.util.spec_from_file_location("compile_messages", ROOT / "scripts" / "compile_messages.py")
assert _spec is not None and _spec.loader is not None
compile_messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compile_messages)


def marked_messages() -> set[str]:
    """Every literal our package passes to ``_`` (``gettext_lazy``)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


MESSAGES = sorted(marked_messages())


def upstream_msgids() -> set[str]:
    ids: set[str] = set()
    for language in UPSTREAM_LANGUAGES:
        ids |= set(compile_messages.parse(UPSTREAM_LOCALE / language / "LC_MESSAGES" / "django.po", untranslated=True))
    return ids


def test_we_ship_a_catalogue_for_every_language_upstream_has():
    assert UPSTREAM_LANGUAGES, "upstream's catalogue is not installed"
    ours = {path.name for path in OUR_LOCALE.iterdir() if path.is_dir()}
    assert set(UPSTREAM_LANGUAGES) - ours == set()


def test_every_message_of_ours_is_in_every_catalogue_of_ours():
    own = {message for message in MESSAGES if message not in upstream_msgids()}
    assert "This token belongs to a revoked token family." in own
    for language in UPSTREAM_LANGUAGES:
        entries = compile_messages.parse(OUR_LOCALE / language / "LC_MESSAGES" / "django.po")
        assert own - set(entries) == set(), language
        # Nothing stale: every entry is a message the code still marks.
        assert set(entries) - {""} - set(MESSAGES) == set(), language


@pytest.mark.parametrize("language", UPSTREAM_LANGUAGES)
def test_each_message_is_translated_in_each_language(language):
    """Through Django's merged catalogues, as a request in that language sees them."""
    untranslated = []
    with translation.override(translation.to_language(language)):
        for message in MESSAGES:
            if translation.gettext(message) == message:
                untranslated.append(message)
    assert untranslated == []


PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdif]")


@pytest.mark.parametrize("language", UPSTREAM_LANGUAGES)
def test_translations_keep_the_placeholders_and_the_mo_is_the_po_compiled(language):
    po = OUR_LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    entries = compile_messages.parse(po)
    for msgid, msgstr in entries.items():
        if msgid:
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (language, msgid)
            assert msgstr.strip() and msgstr != msgid, (language, msgid)
    assert mo.read_bytes() == compile_messages.compile_mo(entries), "run: python scripts/compile_messages.py"
    # Read back by the standard library's reader (the one Django uses), not by our own code.
    with mo.open("rb") as stream:
        catalog = gettext.GNUTranslations(stream)._catalog  # type: ignore[attr-defined]
    assert {key: value for key, value in catalog.items() if key} == {k: v for k, v in entries.items() if k}
    assert catalog[""] == entries[""]


def test_the_compile_script_check_passes():
    assert compile_messages.main(["--check"]) == 0


# --- over HTTP, in the user's language ---------------------------------------------------------

LOCALE_MIDDLEWARE = ["django.middleware.locale.LocaleMiddleware"]


@pytest.mark.django_db
@override_settings(MIDDLEWARE=LOCALE_MIDDLEWARE)
def test_a_reused_refresh_token_is_refused_in_the_language_of_accept_language():
    User.objects.create_user("alice", password=PASSWORD)
    api = APIClient()
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        refresh = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data["refresh"]
        assert api.post("/api/token/refresh/", {"refresh": refresh}, format="json").status_code == 200
        french = api.post("/api/token/refresh/", {"refresh": refresh}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
        german = api.post("/api/token/verify/", {"token": refresh}, format="json", HTTP_ACCEPT_LANGUAGE="de")
    assert french.status_code == 401
    assert french.data == {
        "detail": "Ce jeton de rafraîchissement a déjà été utilisé ; tous les jetons de sa famille sont désormais "
        "révoqués.",
        "code": "token_reused",
    }
    assert french["Content-Language"] == "fr"
    # The family is revoked now: the next refusal is token_family_revoked, in German.
    assert german.data == {
        "detail": "Dieser Token gehört zu einer widerrufenen Token-Familie.",
        "code": "token_family_revoked",
    }


def refusing_rule(user):
    if user is not None and user.first_name == "locked":
        raise Refuse()
    return user is not None and user.is_active


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="fr")
def test_language_code_alone_translates_refuse_default_and_upstream_gaps():
    """With ``LANGUAGE_CODE = "fr"`` and no middleware: Refuse()'s default, and a message upstream leaves English."""
    user = User.objects.create_user("alice", password=PASSWORD, first_name="locked")
    api = APIClient()
    with simple_jwt(USER_AUTHENTICATION_RULE=f"{__name__}.refusing_rule"):
        refused = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json")
        assert refused.data == {"detail": "Ce compte n'est pas autorisé à se connecter.", "code": "user_refused"}
        user.first_name = ""
        user.save()
        refresh = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data["refresh"]
        user.is_active = False
        user.save()
        inactive = api.post("/api/token/refresh/", {"refresh": refresh}, format="json")
    assert inactive.data == {"detail": "Aucun compte actif n'a été trouvé pour ce jeton.", "code": "no_active_account"}


# --- the cookie transport's refusals (docs/browser-apps.md), in the user's language ---------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.django.urls_cookies")
@override_settings(MIDDLEWARE=LOCALE_MIDDLEWARE)
def test_the_cookie_transports_refusals_are_in_the_language_of_accept_language():
    """(LocaleMiddleware leaves the language it activated active: the override puts the default back.)"""
    with translation.override("en-us"):
        user = User.objects.create_user("alice", password=PASSWORD)
        api = APIClient(enforce_csrf_checks=True)
        assert api.get("/api/auth/login/").status_code == 204  # the CSRF cookie
        csrf = {"HTTP_X_CSRFTOKEN": api.cookies["csrftoken"].value}
        no_cookie = api.post("/api/auth/refresh/", {}, format="json", HTTP_ACCEPT_LANGUAGE="fr", **csrf)
        assert no_cookie.status_code == 401
        assert no_cookie.data["detail"] == "Aucun cookie 'refresh_token' n'a été envoyé."
        forged = APIClient(enforce_csrf_checks=True).post(
            "/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
        )
        assert forged.status_code == 403 and forged.data["code"] == "csrf_failed"
        assert str(forged.data["detail"]).startswith("Échec de la vérification CSRF : ")
        access = str(AccessToken.for_user(user))
        twice = APIClient().get(
            "/api/profile/", HTTP_COOKIE=f"access_token={access}; access_token={access}", HTTP_ACCEPT_LANGUAGE="de"
        )
        assert twice.status_code == 401
        assert twice.data["detail"] == "Es wurde mehr als ein Cookie 'access_token' gesendet."
