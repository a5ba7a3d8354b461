"""Every SIMPLE_JWT setting that changes behaviour, changed with override_settings (the codec is rebuilt)."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework_simplejwt import tokens as upstream_tokens
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from simplejwt_rs import decode_header
from simplejwt_rs.backends import token_backend
from simplejwt_rs.tokens import AccessToken, RefreshToken, SlidingToken

from tests.django.helpers import code, me, obtain, refresh, rsa_keys, simple_jwt, verify

pytestmark = pytest.mark.django_db


def claims(token):
    return AccessToken(token, verify=False).payload


@simple_jwt(ACCESS_TOKEN_LIFETIME=timedelta(minutes=1), REFRESH_TOKEN_LIFETIME=timedelta(hours=2))
def test_lifetimes_and_expiry(api, user, clock):
    pair = obtain(api).data
    access, refresh_claims = claims(pair["access"]), claims(pair["refresh"])
    assert access["exp"] - access["iat"] == 60
    assert refresh_claims["exp"] - refresh_claims["iat"] == 7200

    clock.advance(60)  # expired when exp <= now
    response = me(api, pair["access"])
    assert response.status_code == 401
    assert response.data["messages"][0]["message"] in ("Token is expired", "Token is invalid or expired")
    new_access = refresh(api, pair["refresh"]).data["access"]
    assert me(api, new_access).status_code == 200

    clock.advance(7200)
    response = refresh(api, pair["refresh"])
    assert (response.status_code, code(response)) == (401, "token_not_valid")


@simple_jwt(ACCESS_TOKEN_LIFETIME=timedelta(minutes=1), LEEWAY=30)
def test_leeway(api, user, clock):
    access = obtain(api).data["access"]
    clock.advance(85)
    assert me(api, access).status_code == 200
    clock.advance(5)
    assert me(api, access).status_code == 401


def test_audience_and_issuer(api, user):
    with simple_jwt(AUDIENCE="shop", ISSUER="https://id.example"):
        access = obtain(api).data["access"]
        assert (claims(access)["aud"], claims(access)["iss"]) == ("shop", "https://id.example")
        assert me(api, access).status_code == 200
    with simple_jwt(AUDIENCE="billing", ISSUER="https://id.example"):
        assert me(api, access).status_code == 401
    with simple_jwt(AUDIENCE="shop", ISSUER="https://other.example"):
        assert me(api, access).status_code == 401


def test_signing_key_change_rebuilds_the_codec(api, user):
    access = obtain(api).data["access"]
    before = token_backend()
    with simple_jwt(SIGNING_KEY="another-key-" * 8):
        assert token_backend() is not before
        assert me(api, access).status_code == 401
        assert me(api, obtain(api).data["access"]).status_code == 200
    assert me(api, access).status_code == 200


def test_rs256(api, user):
    private, public = rsa_keys()
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public):
        pair = obtain(api).data
        assert decode_header(pair["access"])["alg"] == "RS256"
        assert me(api, pair["access"]).status_code == 200
        assert me(api, refresh(api, pair["refresh"]).data["access"]).status_code == 200
    # The HS256 codec no longer accepts it (algorithm pinned by settings).
    assert me(api, pair["access"]).status_code == 401


@simple_jwt(USER_ID_FIELD="username", USER_ID_CLAIM="sub")
def test_user_id_field_and_claim(api, user):
    pair = obtain(api).data
    assert claims(pair["access"])["sub"] == "alice"
    assert "user_id" not in claims(pair["access"])
    assert me(api, pair["access"]).status_code == 200
    user.is_active = False
    user.save()
    assert refresh(api, pair["refresh"]).status_code == 401


@simple_jwt(TOKEN_TYPE_CLAIM="typ", JTI_CLAIM="id")
def test_token_type_and_jti_claims(api, user):
    pair = obtain(api).data
    access = claims(pair["access"])
    assert access["typ"] == "access" and len(access["id"]) == 32
    assert "token_type" not in access and "jti" not in access
    assert me(api, pair["access"]).status_code == 200
    new = refresh(api, pair["refresh"]).data["access"]
    assert claims(new)["typ"] == "access" and claims(new)["id"] != access["id"]
    assert me(api, pair["refresh"]).status_code == 401  # a refresh token is not an access token


@simple_jwt(AUTH_HEADER_TYPES=("JWT",), AUTH_HEADER_NAME="HTTP_X_TOKEN")
def test_auth_header_types_and_name(api, user):
    access = obtain(api).data["access"]
    assert api.get("/api/me/", HTTP_X_TOKEN=f"JWT {access}").status_code == 200
    response = api.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'JWT realm="api"'


@simple_jwt(UPDATE_LAST_LOGIN=True)
def test_update_last_login(api, user):
    assert user.last_login is None
    obtain(api)
    user.refresh_from_db()
    assert user.last_login is not None


def test_last_login_untouched_by_default(api, user):
    obtain(api)
    user.refresh_from_db()
    assert user.last_login is None


@simple_jwt(CHECK_USER_IS_ACTIVE=False)
def test_check_user_is_active_off(api, user):
    pair = obtain(api).data
    user.is_active = False
    user.save()
    assert me(api, pair["access"]).status_code == 200
    assert refresh(api, pair["refresh"]).status_code == 200


@simple_jwt(VERIFY_CHECKS_USER=False)
def test_verify_checks_user_off_is_upstream_behaviour(api, user):
    access = obtain(api).data["access"]
    user.delete()
    assert verify(api, access).status_code == 200


@simple_jwt(MAX_TOKEN_BYTES=300)
def test_max_token_bytes(api, user):
    access = obtain(api).data["access"]
    assert len(access) < 300
    assert me(api, access).status_code == 200
    response = verify(api, access + "A" * 300)
    assert (response.status_code, code(response)) == (401, "token_not_valid")


def test_sliding_tokens(api, user, clock):
    sliding = simple_jwt(
        AUTH_TOKEN_CLASSES=("simplejwt_rs.tokens.SlidingToken",),
        SLIDING_TOKEN_LIFETIME=timedelta(minutes=5),
        SLIDING_TOKEN_REFRESH_LIFETIME=timedelta(minutes=8),
    )
    with sliding:
        token = obtain(api, url="/api/token/sliding/").data["token"]
        payload = claims(token)
        assert payload["token_type"] == "sliding"
        assert payload["refresh_exp"] - payload["iat"] == 480
        assert OutstandingToken.objects.filter(jti=payload["jti"]).exists()
        assert me(api, token).data["token_type"] == "sliding"

        clock.advance(240)  # slide before exp, as upstream requires
        response = api.post("/api/token/sliding/refresh/", {"token": token}, format="json")
        assert response.status_code == 200, response.data
        slid = response.data["token"]
        assert claims(slid)["exp"] == clock.now + 300
        assert claims(slid)["refresh_exp"] == payload["refresh_exp"]
        clock.advance(120)
        assert me(api, token).status_code == 401  # the old one expired
        assert me(api, slid).status_code == 200

        clock.advance(150)  # slid is still valid, but its refresh_exp has passed
        response = api.post("/api/token/sliding/refresh/", {"token": slid}, format="json")
        assert response.status_code == 401
        assert str(response.data["detail"]) == "Token 'refresh_exp' claim has expired"

        api.post("/api/token/blacklist/", {"refresh": slid}, format="json")  # a sliding token is not a refresh token
        assert me(api, slid).status_code == 200


def test_blacklist_app_not_installed(api, user, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.endswith("token_blacklist")]
    first = obtain(api).data["refresh"]
    assert refresh(api, first).status_code == 200
    assert refresh(api, first).status_code == 200  # nothing to record the rotation in (upstream behaviour)
    assert api.post("/api/token/blacklist/", {"refresh": first}, format="json").status_code == 200


def test_our_views_read_the_serializer_setting_per_request(api, user):
    pair = api.post("/rs/token/", {"username": "alice", "password": "correct horse battery staple"}).data
    assert set(pair) == {"access", "refresh"}
    with simple_jwt(TOKEN_REFRESH_SERIALIZER="tests.django.helpers.EchoRefreshSerializer"):
        assert api.post("/rs/token/refresh/", {"refresh": "x"}).data == {"echo": "x"}
    # An upstream serializer named in the setting is swapped for ours (policy included).
    with simple_jwt(TOKEN_REFRESH_SERIALIZER="rest_framework_simplejwt.serializers.TokenRefreshSerializer"):
        User.objects.filter(pk=user.pk).update(is_active=False)
        response = api.post("/rs/token/refresh/", {"refresh": pair["refresh"]})
        assert (response.status_code, code(response)) == (401, "no_active_account")


def test_upstream_token_classes_in_settings_are_swapped_for_ours(api, user):
    with simple_jwt(AUTH_TOKEN_CLASSES=("rest_framework_simplejwt.tokens.AccessToken",)):
        access = obtain(api).data["access"]
        assert me(api, access).status_code == 200
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert code(me(api, access)) == "user_inactive"


def test_token_classes_follow_settings():
    with simple_jwt(REFRESH_TOKEN_LIFETIME=timedelta(seconds=42)):
        token = RefreshToken()
        assert token["exp"] - token["iat"] == 42
    assert SlidingToken.lifetime == timedelta(minutes=5)


def test_json_encoder(user):
    ref = uuid.uuid4()
    token = AccessToken.for_user(user)
    token["ref"] = ref
    with pytest.raises(TypeError):
        str(token)
    with simple_jwt(JSON_ENCODER="django.core.serializers.json.DjangoJSONEncoder"):
        assert AccessToken(str(token))["ref"] == str(ref)


def test_stateless_authentication_and_token_user_class(api, user):
    access = obtain(api).data["access"]
    response = api.get("/api/me/stateless/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.data == {"user": "TokenUser", "id": upstream_tokens.AccessToken.for_user(user)["user_id"]}
    user.delete()  # no database lookup, so no user policy: documented, as upstream
    assert api.get("/api/me/stateless/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    with simple_jwt(TOKEN_USER_CLASS="tests.django.helpers.NamedTokenUser"):
        response = api.get("/api/me/stateless/", HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.data["user"] == "NamedTokenUser"


@simple_jwt(CHECK_REVOKE_TOKEN=True, REVOKE_TOKEN_CLAIM="pwd")
def test_revoke_token_claim_name(api, user):
    pair = obtain(api).data
    assert "pwd" in claims(pair["access"]) and "hash_password" not in claims(pair["access"])
    assert me(api, pair["access"]).status_code == 200
    user.set_password("changed")
    user.save()
    assert code(me(api, pair["access"])) == "password_changed"
