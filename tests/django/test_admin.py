"""The admin, through Django's test client and the real admin site (issue 19 items 7 and 8, issue 25 item 9).

The rows record consumptions and revocations: nobody deletes them through the admin (a deleted row would let a
consumed or revoked token in again), and revoking needs the change permission, not the view permission.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from simplejwt_rs.models import RevokedTokenFamily, RevokedUserTokens, RotatedRefreshToken
from simplejwt_rs.store import revoke_user_tokens
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import code, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db

ADMIN = override_settings(
    ROOT_URLCONF="tests.django.urls_admin",
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage",
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ],
)
ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
CHANGELIST = "/admin/simplejwt_rs/rotatedrefreshtoken/"


@pytest.fixture(autouse=True)
def admin_site():
    with ADMIN, simple_jwt(**ROTATING):
        yield


def staff(name, *codenames, superuser=False):
    user = User.objects.create_user(name, password="x", is_staff=True, is_superuser=superuser)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="simplejwt_rs", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def rotated(api):
    """A family rotated once: (its first pair, the pair rotation gave)."""
    first = obtain(api).data
    second = refresh(api, first["refresh"]).data
    return first, second


def revoke_action(client, *rows):
    return client.post(
        CHANGELIST, {"action": "revoke_families", "_selected_action": [row.pk for row in rows]}, follow=True
    )


def jti(token):
    return RefreshToken(token, verify=False)["jti"]


def told(response):
    return [str(message) for message in response.context["messages"]]


def test_a_view_only_user_sees_the_rows_but_cannot_revoke(api, user):
    _, second = rotated(api)
    viewer = staff("viewer", "view_rotatedrefreshtoken")
    listing = viewer.get(CHANGELIST)
    assert listing.status_code == 200
    assert "revoke_families" not in listing.content.decode()
    response = revoke_action(viewer, *RotatedRefreshToken.objects.all())
    assert response.status_code == 200
    assert not RevokedTokenFamily.objects.exists()
    assert refresh(api, second["refresh"]).status_code == 200


def test_the_change_permission_revokes_and_says_how_many_were_newly_revoked(api, user):
    _, second = rotated(api)
    rotated(api)
    editor = staff("editor", "view_rotatedrefreshtoken", "change_rotatedrefreshtoken")
    assert "revoke_families" in editor.get(CHANGELIST).content.decode()
    row = RotatedRefreshToken.objects.get(jti=jti(second["refresh"]))
    assert told(revoke_action(editor, row)) == ["Revoked 1 token family."]
    assert code(refresh(api, second["refresh"])) == "token_family_revoked"
    assert told(revoke_action(editor, row)) == ["Nothing revoked: the selected token family was already revoked."]
    assert told(revoke_action(editor, *RotatedRefreshToken.objects.all())) == [
        "Revoked 1 token family; 1 was already revoked."
    ]
    assert RevokedTokenFamily.objects.count() == 2


@pytest.mark.parametrize("model", ["rotatedrefreshtoken", "revokedtokenfamily", "revokedusertokens"])
def test_a_superuser_cannot_delete_a_revocation_or_a_rotation_record(api, user, model):
    first, second = rotated(api)
    assert code(refresh(api, first["refresh"])) == "token_reused"  # the family is revoked
    revoke_user_tokens(user)
    assert code(verify(api, second["access"])) in ("token_family_revoked", "token_revoked")
    rows = {
        "rotatedrefreshtoken": RotatedRefreshToken,
        "revokedtokenfamily": RevokedTokenFamily,
        "revokedusertokens": RevokedUserTokens,
    }[model]
    before = rows.objects.count()
    root = staff("root", superuser=True)
    listing = root.get(f"/admin/simplejwt_rs/{model}/")
    assert listing.status_code == 200 and "delete_selected" not in listing.content.decode()
    pk = rows.objects.values_list("pk", flat=True).first()
    assert root.get(f"/admin/simplejwt_rs/{model}/{pk}/delete/").status_code == 403
    assert root.post(f"/admin/simplejwt_rs/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
    root.post(f"/admin/simplejwt_rs/{model}/", {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert rows.objects.count() == before
    assert verify(api, second["access"]).status_code == 401
    assert refresh(api, second["refresh"]).status_code == 401


def test_the_admin_classes_pass_djangos_own_admin_checks():
    from django.contrib import admin

    for model in (RotatedRefreshToken, RevokedTokenFamily, RevokedUserTokens):
        assert admin.site._registry[model].check() == []
