"""Token classes: same errors and messages as upstream, the fast path, bad input, interchangeable tokens."""

import time

import jwt
import pytest
from django.conf import settings
from django.utils import translation
from rest_framework_simplejwt import tokens as upstream
from rest_framework_simplejwt.exceptions import TokenError
from simplejwt_rs import backends, errors, tokens
from simplejwt_rs.backends import token_backend

from tests.django.helpers import code, me, obtain, refresh, verify

KEY = settings.SECRET_KEY


def forge(payload, key=KEY, algorithm="HS256", **kwargs):
    return jwt.encode(payload, key, algorithm=algorithm, **kwargs)


def good(**overrides):
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "a" * 32, "user_id": "1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


BAD_TOKENS = {
    "empty": "",
    "garbage": "not-a-token",
    "two segments": "abc.def",
    "bad base64": "a$b.c$d.e$f",
    "other key": forge(good(), key="x" * 64),
    "expired": forge(good(exp=int(time.time()) - 10)),
    "no exp": forge(good(exp=None)),
    "no jti": forge(good(jti=None)),
    "no type": forge(good(token_type=None)),
    "wrong type": forge(good(token_type="id_token")),
    "other hmac alg": forge(good(), algorithm="HS512"),
    "alg none": forge(good(), key=None, algorithm="none"),
    "payload not an object": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WzFd.sig",
}


@pytest.mark.parametrize("name", BAD_TOKENS)
def test_same_error_class_and_message_as_upstream(name):
    token = BAD_TOKENS[name]
    with pytest.raises(TokenError) as theirs:
        upstream.AccessToken(token)
    with pytest.raises(TokenError) as ours:
        tokens.AccessToken(token)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value.args[0]) == str(theirs.value.args[0])


@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD_TOKENS)
def test_bad_tokens_are_401_at_every_endpoint(api, name):
    token = BAD_TOKENS[name] or "."  # an empty field is a 400 (see below)
    for response in (
        me(api, token),
        refresh(api, token),
        verify(api, token) if name not in ("no type", "wrong type") else me(api, token),  # verify takes any type
        api.post("/api/token/sliding/refresh/", {"token": token}, format="json"),
        api.post("/api/token/blacklist/", {"refresh": token}, format="json"),
    ):
        assert response.status_code == 401, (name, response.data)
        assert code(response) == "token_not_valid"


@pytest.mark.django_db
def test_wrong_shapes_in_request_bodies_are_400_not_500(api, user):
    assert api.post("/api/token/refresh/", {"refresh": {"a": 1}}, format="json").status_code == 400
    assert api.post("/api/token/refresh/", {}, format="json").status_code == 400
    assert api.post("/api/token/refresh/", {"refresh": ""}, format="json").status_code == 400
    assert api.post("/api/token/refresh/", b"{not json", content_type="application/json").status_code == 400
    assert api.post("/api/token/verify/", {"token": ["x"]}, format="json").status_code == 400
    assert api.post("/api/token/", {"username": ["alice"], "password": 1}, format="json").status_code == 400
    assert api.post("/api/token/refresh/", {"refresh": 12345}, format="json").status_code == 401
    assert api.post("/api/token/refresh/", {"refresh": "ü" * 40}, format="json").status_code == 401
    assert api.post("/api/token/refresh/", {"refresh": "a." * 50_000}, format="json").status_code == 401


@pytest.mark.django_db
def test_hostile_claims_signed_with_the_right_key_are_401_not_500(api, user):
    now = int(time.time())
    odd_user = forge(good(user_id={"id": 1}))
    assert verify(api, odd_user).status_code == 401
    assert me(api, odd_user).status_code == 401
    odd_refresh = forge(good(token_type="refresh", user_id=["1"]))
    assert refresh(api, odd_refresh).status_code == 401
    assert me(api, forge(good(exp="tomorrow"))).status_code == 401
    sliding = forge(good(token_type="sliding", refresh_exp="later", user_id=str(user.pk)))
    response = api.post("/api/token/sliding/refresh/", {"token": sliding}, format="json")
    assert response.status_code == 401
    # A refresh token without jti cannot be blacklisted or rotated: refused (upstream: KeyError, 500).
    no_jti = forge(good(token_type="refresh", jti=None, user_id=str(user.pk), iat=now))
    assert refresh(api, no_jti).status_code == 401
    assert api.post("/api/token/blacklist/", {"refresh": no_jti}, format="json").status_code == 401


@pytest.mark.django_db
def test_malformed_authorization_headers(api):
    response = api.get("/api/me/", HTTP_AUTHORIZATION="Bearer a b")
    assert (response.status_code, code(response)) == (401, "bad_authorization_header")
    assert api.get("/api/me/", HTTP_AUTHORIZATION="Basic abc").status_code == 401
    assert api.get("/api/me/", HTTP_AUTHORIZATION="Bearer \u20ac").status_code == 401
    assert api.get("/api/me/", HTTP_AUTHORIZATION="").status_code == 401


@pytest.mark.django_db
def test_messages_come_from_simplejwts_catalogue(api, user):
    access = obtain(api).data["access"]
    with translation.override("de"):
        response = refresh(api, access)
    assert (response.status_code, str(response.data["detail"])) == (401, "Token hat den falschen Typ")


class CountingCodec:
    """Wraps the backend's Codec to count decode calls (the native class cannot be patched)."""

    def __init__(self, codec):
        self.codec = codec
        self.calls = []

    def decode(self, token, **kwargs):
        self.calls.append(kwargs)
        return self.codec.decode(token, **kwargs)

    def decoder(self, **kwargs):
        bound = self.codec.decoder(**kwargs)

        def decode(token, now=None):
            self.calls.append(kwargs)
            return bound(token, now)

        return decode

    def __getattr__(self, name):
        return getattr(self.codec, name)


@pytest.fixture
def counting(monkeypatch):
    backend = token_backend()
    counter = CountingCodec(backend.codec)
    monkeypatch.setitem(backend.__dict__, "codec", counter)
    return counter


@pytest.mark.django_db
def test_fast_path_is_one_core_call(counting):
    token = forge(good())
    assert tokens.AccessToken(token)["user_id"] == "1"
    assert len(counting.calls) == 1
    call = counting.calls[0]
    assert (call["token_type"], call["jti_claim"], call["require_exp"]) == ("access", "jti", True)


class StrictAccessToken(tokens.AccessToken):
    def verify(self):
        super().verify()
        if self.payload.get("scope") != "admin":
            raise TokenError("needs admin scope")


@pytest.mark.django_db
def test_overridden_verify_runs_in_python(counting):
    with pytest.raises(TokenError, match="needs admin scope"):
        StrictAccessToken(forge(good()))
    assert len(counting.calls) == 1 and "token_type" not in counting.calls[0]  # checks ran in Python
    assert StrictAccessToken(forge(good(scope="admin")))["scope"] == "admin"
    with pytest.raises(TokenError, match="Token has wrong type"):
        StrictAccessToken(forge(good(token_type="refresh", scope="admin")))


@pytest.mark.django_db
def test_tokens_interchangeable_with_upstream(api, user):
    theirs = upstream.RefreshToken.for_user(user)
    response = refresh(api, str(theirs))
    assert response.status_code == 200
    assert upstream.AccessToken(response.data["access"])["user_id"] == theirs["user_id"]
    ours = tokens.RefreshToken.for_user(user)
    assert str(ours) == str(upstream.RefreshToken(str(ours)))  # same bytes after a PyJWT round trip
    assert upstream.AccessToken(str(ours.access_token))["jti"] != ours["jti"]
    assert isinstance(ours, upstream.RefreshToken) and isinstance(ours.access_token, upstream.AccessToken)


@pytest.mark.django_db
def test_access_token_claims_from_refresh(api, user):
    pair = obtain(api).data
    access = tokens.AccessToken(pair["access"])
    refresh_token = tokens.RefreshToken(pair["refresh"])
    assert list(access.payload)[:4] == ["token_type", "exp", "iat", "jti"]
    # Up to 5.4 integer ids stay integers, 5.5 makes them strings: same as the installed upstream.
    assert access["user_id"] == refresh_token["user_id"] == upstream.RefreshToken.for_user(user)["user_id"]
    minted = tokens.AccessToken(refresh(api, pair["refresh"]).data["access"])
    assert list(minted.payload) == list(access.payload)
    assert minted["jti"] != access["jti"]


@pytest.mark.django_db
def test_both_paths_read_the_same_clock(user, clock):
    token = str(StrictAccessToken.for_user(user))
    clock.advance(301)
    for token_class in (tokens.AccessToken, StrictAccessToken):
        with pytest.raises(TokenError) as refused:
            token_class(token)
        assert str(refused.value.args[0]) == str(errors.MSG_EXPIRED)


def test_token_backend_matches_upstreams_constructor_and_errors():
    from rest_framework_simplejwt.backends import TokenBackend as UpstreamBackend
    from rest_framework_simplejwt.exceptions import TokenBackendError

    with pytest.raises(TokenBackendError, match="Unrecognized algorithm type 'XX999'"):
        backends.TokenBackend("XX999", KEY)
    with pytest.raises(TokenBackendError):
        backends.TokenBackend("HS256", KEY, leeway="soon")

    ours = backends.TokenBackend("HS256", KEY, audience=["shop", "admin"], issuer="me", leeway=5)
    theirs = UpstreamBackend("HS256", KEY, audience=["shop", "admin"], issuer="me", leeway=5)
    payload = {"user_id": "1", "exp": int(time.time()) + 60}
    token = ours.encode(payload)
    assert token == theirs.encode(payload)
    assert ours.decode(token) == theirs.decode(token)
    for bad in (
        forge({"exp": int(time.time()) - 60, "aud": "shop", "iss": "me"}),
        forge({"exp": int(time.time()) + 60, "aud": "billing", "iss": "me"}),
        forge({"exp": int(time.time()) + 60, "aud": "shop"}),
        forge({"aud": "shop", "iss": "me"}, algorithm="HS384"),
        "nonsense",
    ):
        with pytest.raises(TokenBackendError) as mine:
            ours.decode(bad)
        with pytest.raises(TokenBackendError) as upstreams:
            theirs.decode(bad)
        assert (type(mine.value), str(mine.value.args[0])) == (type(upstreams.value), str(upstreams.value.args[0]))
    assert ours.decode(forge({"aud": "admin", "iss": "me"}, key="wrong" * 8), verify=False)["aud"] == "admin"


@pytest.mark.parametrize("algorithm", ["HS256", "ES256"])
def test_a_refresh_token_class_with_upstreams_backend_refreshes(user, algorithm):
    """A project's token class may carry upstream's TokenBackend as ``_token_backend``; refresh used to 500."""
    from rest_framework_simplejwt.backends import TokenBackend as UpstreamBackend
    from simplejwt_rs.serializers import TokenRefreshSerializer

    from tests.core import keys

    backend = UpstreamBackend(algorithm, keys.signing_key(algorithm), keys.verifying_key(algorithm))

    class ProjectAccess(tokens.AccessToken):
        _token_backend = backend

    class ProjectRefresh(tokens.RefreshToken):
        _token_backend = backend
        access_token_class = ProjectAccess

    class ProjectRefreshSerializer(TokenRefreshSerializer):
        token_class = ProjectRefresh

    assert backends.as_ours(token_backend()) is token_backend()
    raw = str(ProjectRefresh.for_user(user))
    serializer = ProjectRefreshSerializer(data={"refresh": raw})
    assert serializer.is_valid(), serializer.errors
    access = serializer.validated_data["access"]
    assert jwt.get_unverified_header(access)["alg"] == algorithm
    assert str(ProjectAccess(access)["user_id"]) == str(user.pk)
    # Signed by another key: refused as upstream refuses it (TokenError, a 401 at the view), not a 500.
    other = forge({**good(token_type="refresh"), "user_id": user.pk}, key="y" * 64)
    with pytest.raises(TokenError):
        ProjectRefreshSerializer(data={"refresh": other}).is_valid(raise_exception=True)
