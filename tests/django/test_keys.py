"""SIMPLE_JWT["KEYS"]: several keys chosen by kid, the kid-less fallback, KEYS with JWK_URL, and JWKSView.

The JWK set is fetched over real HTTP: Django's own WSGI server, in a thread of this process (so it serves
the settings the test overrides), answers PyJWT's PyJWKClient and our own JWK_URL cache, and a plain local
server plays a partner's JWK set.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient
from simplejwt_rs import backends
from simplejwt_rs.tokens import AccessToken, RefreshToken

from tests.core.keys import PRIVATE_JWK_MEMBERS, pkcs8_pem, spki_pem
from tests.django.helpers import code, me, obtain, refresh, serve_json, simple_jwt, verify

pytestmark = pytest.mark.django_db

JWKS_PATH = "/.well-known/jwks.json"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256-and-then-some-more-bytes"  # tests/django/settings.py


@functools.cache
def rsa_key(name: str):
    """One RSA key per name for the module (generating them is most of these tests' time)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def ec_key(name: str):
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def ed_key(name: str):
    return ed25519.Ed25519PrivateKey.generate()


def rotation_keys(**extra):
    """The issue's shape: the new key signs, the old one still verifies, an EdDSA key for a migration."""
    return {
        "ALGORITHM": "RS256",
        "KEYS": [
            {"kid": "2026-11", "signing_key": pkcs8_pem(rsa_key("new"))},
            {"kid": "2026-08", "verifying_key": spki_pem(rsa_key("old"))},
            {"kid": "ed-1", "algorithm": "EdDSA", "verifying_key": spki_pem(ed_key("ed"))},
        ],
        **extra,
    }


def header(token: str) -> dict:
    return jwt.get_unverified_header(token)


def claims_for(user, lifetime=300) -> dict:
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + lifetime,
        "iat": now,
        "jti": f"j{now}{id(user)}",
        "user_id": str(user.pk),
    }


def sign(key, algorithm, user, kid=None, **claims) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode({**claims_for(user), **claims}, key, algorithm=algorithm, headers=headers)


# --- minting and verifying by kid ---------------------------------------------------------------------


def test_tokens_carry_the_kid_of_the_first_entry_that_signs(user):
    api = APIClient()
    with simple_jwt(**rotation_keys(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)):
        response = obtain(api)  # upstream's TokenObtainPairView, routed through ours
        assert response.status_code == 200, response.data
        pair = response.data
        for token in pair.values():
            assert header(token) == {"alg": "RS256", "kid": "2026-11", "typ": "JWT"}
            # Byte for byte the header PyJWT writes for the same kid: sorted members.
            assert (
                token.split(".")[0]
                == jwt.encode({}, pkcs8_pem(rsa_key("new")), "RS256", {"kid": "2026-11"}).split(".")[0]
            )
        assert me(api, pair["access"]).status_code == 200
        # Refresh (single-use rotation, in the core) mints with the same entry.
        rotated = refresh(api, pair["refresh"])
        assert rotated.status_code == 200, rotated.data
        assert {header(token)["kid"] for token in rotated.data.values()} == {"2026-11"}
        assert me(api, rotated.data["access"]).status_code == 200
        # The token classes mint the same way (str(token) goes through the backend).
        assert header(str(RefreshToken.for_user(user)))["kid"] == "2026-11"
        assert header(str(AccessToken.for_user(user)))["kid"] == "2026-11"
        # And PyJWT verifies them with the public key of that entry.
        claims = jwt.decode(pair["access"], spki_pem(rsa_key("new")), algorithms=["RS256"])
        assert str(claims["user_id"]) == str(user.pk)


def test_each_kid_verifies_with_its_own_key_and_algorithm(user):
    api = APIClient()
    with simple_jwt(**rotation_keys()):
        old = sign(pkcs8_pem(rsa_key("old")), "RS256", user, kid="2026-08")
        assert me(api, old).status_code == 200
        assert verify(api, old).status_code == 200
        ed = sign(pkcs8_pem(ed_key("ed")), "EdDSA", user, kid="ed-1")
        assert me(api, ed).status_code == 200
        assert str(AccessToken(ed)["user_id"]) == str(user.pk)

        refused = {
            "old kid, signed by the new key": sign(pkcs8_pem(rsa_key("new")), "RS256", user, kid="2026-08"),
            "new kid, signed by the old key": sign(pkcs8_pem(rsa_key("old")), "RS256", user, kid="2026-11"),
            "a kid no entry has": sign(pkcs8_pem(rsa_key("new")), "RS256", user, kid="2025-01"),
            "the EdDSA entry's kid, RS256 header": sign(pkcs8_pem(rsa_key("new")), "RS256", user, kid="ed-1"),
            "an RSA entry's kid, EdDSA header": sign(pkcs8_pem(ed_key("ed")), "EdDSA", user, kid="2026-08"),
            "no kid, and no SIGNING_KEY/VERIFYING_KEY named": sign(pkcs8_pem(rsa_key("new")), "RS256", user),
            "HS256 with the SECRET_KEY, no kid": sign(SECRET_KEY, "HS256", user),
            "an HS256 header under an RS256 entry's kid": jwt.encode(
                claims_for(user), b"x" * 32, algorithm="HS256", headers={"kid": "2026-08"}
            ),
        }
        for case, token in refused.items():
            response = me(api, token)
            assert response.status_code == 401, case
            assert code(response) == "token_not_valid", case
            assert verify(api, token).status_code == 401, case


def test_tokens_without_a_kid_need_the_top_level_keys_named(user):
    """Tokens minted before the switch verify with SIGNING_KEY/VERIFYING_KEY only when SIMPLE_JWT names them:
    upstream's default SIGNING_KEY (the SECRET_KEY) never becomes a key an RS256 key set accepts."""
    api = APIClient()
    before = sign(SECRET_KEY, "HS256", user)  # an HS256 project on upstream's default SIGNING_KEY
    assert me(api, before).status_code == 200
    switched = {
        "ALGORITHM": "HS256",  # the algorithm of the tokens without a kid
        "KEYS": [{"kid": "rs-1", "algorithm": "RS256", "signing_key": pkcs8_pem(rsa_key("new"))}],
    }
    with simple_jwt(**switched):
        assert me(api, before).status_code == 401
        response = obtain(api)
        assert header(response.data["access"])["kid"] == "rs-1"
        assert me(api, response.data["access"]).status_code == 200
    with simple_jwt(**switched, SIGNING_KEY=SECRET_KEY):
        assert me(api, before).status_code == 200  # the old sessions live on while the project names the key
        after = obtain(api).data["access"]
        assert header(after) == {"alg": "RS256", "kid": "rs-1", "typ": "JWT"}  # SIGNING_KEY no longer signs
        assert me(api, after).status_code == 200
        forged = sign(SECRET_KEY, "HS256", user, kid="rs-1")  # the fallback key under an entry's kid: refused
        assert me(api, forged).status_code == 401
    # An RS256 project: VERIFYING_KEY named keeps the kid-less RS256 tokens alive, SIGNING_KEY need not be.
    old = sign(pkcs8_pem(rsa_key("old")), "RS256", user)
    with simple_jwt(**rotation_keys()):
        assert me(api, old).status_code == 401
    with simple_jwt(**rotation_keys(VERIFYING_KEY=spki_pem(rsa_key("old")))):
        assert me(api, old).status_code == 200


def test_hmac_entries(user):
    api = APIClient()
    keys = [
        {"kid": "h2", "signing_key": "b" * 64},
        {"kid": "h1", "verifying_key": "a" * 64},
    ]
    with simple_jwt(KEYS=keys):
        access = obtain(api).data["access"]
        assert header(access) == {"alg": "HS256", "kid": "h2", "typ": "JWT"}
        assert me(api, access).status_code == 200
        assert me(api, sign("a" * 64, "HS256", user, kid="h1")).status_code == 200
        assert me(api, sign("a" * 64, "HS256", user, kid="h2")).status_code == 401
        jwks = api.get(JWKS_PATH)
        assert jwks.status_code == 200
        assert json.loads(jwks.content) == {"keys": []}  # an HMAC key is never published


def test_the_codec_follows_settings_changes(user):
    api = APIClient()
    with simple_jwt(KEYS=[{"kid": "one", "signing_key": "1" * 64}]):
        first = obtain(api).data["access"]
        assert header(first)["kid"] == "one"
        with simple_jwt(KEYS=[{"kid": "two", "signing_key": "2" * 64}, {"kid": "one", "verifying_key": "1" * 64}]):
            second = obtain(api).data["access"]
            assert header(second)["kid"] == "two"
            assert me(api, first).status_code == 200
        with simple_jwt(KEYS=[{"kid": "two", "signing_key": "2" * 64}]):
            assert me(api, first).status_code == 401  # "one" dropped
            assert me(api, second).status_code == 200
    # KEYS gone: upstream's behaviour again (the SECRET_KEY signs, no kid).
    assert "kid" not in header(obtain(api).data["access"])


def test_a_key_set_that_cannot_be_read_refuses_to_guess(user):
    """A malformed KEYS is E008 and every token operation raises; SECRET_KEY does not stand in for it."""
    api = APIClient()
    with simple_jwt(KEYS={"kid": "not-a-list", "signing_key": "x" * 64}):
        with pytest.raises(ImproperlyConfigured, match="KEYS"):
            backends.token_backend()
        with pytest.raises(ImproperlyConfigured):
            obtain(api)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_project():
    """This project over HTTP on 127.0.0.1 (``.url``), served by Django's WSGI server in a thread."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# --- JWKSView -----------------------------------------------------------------------------------------


def mixed_keys():
    """Every kind of entry: signing RSA, verify-only RSA / EC / Ed25519, and two HMAC entries."""
    return {
        "ALGORITHM": "RS256",
        "KEYS": [
            {"kid": "rsa-new", "signing_key": pkcs8_pem(rsa_key("new"))},
            {"kid": "rsa-old", "verifying_key": spki_pem(rsa_key("old"))},
            {"kid": "ec-1", "algorithm": "ES256", "verifying_key": spki_pem(ec_key("ec"))},
            {"kid": "ec-2", "algorithm": "ES256", "signing_key": pkcs8_pem(ec_key("ec2"))},
            {"kid": "ed-1", "algorithm": "EdDSA", "verifying_key": spki_pem(ed_key("ed"))},
            {"kid": "hs-1", "algorithm": "HS256", "signing_key": "s" * 64},
            {"kid": "hs-2", "algorithm": "HS512", "verifying_key": "t" * 64},
        ],
    }


def b64int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def test_jwks_view_publishes_public_halves_only(db):
    api = APIClient()  # no credentials: the project's default permission is IsAuthenticated
    with simple_jwt(**mixed_keys()):
        response = api.get(JWKS_PATH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    body = json.loads(response.content)
    assert set(body) == {"keys"}
    by_kid = {jwk["kid"]: jwk for jwk in body["keys"]}
    assert list(by_kid) == ["rsa-new", "rsa-old", "ec-1", "ec-2", "ed-1"]  # in KEYS order, no HMAC entry
    for jwk in body["keys"]:
        assert not PRIVATE_JWK_MEMBERS & set(jwk), jwk
        assert jwk["use"] == "sig"
    assert set(by_kid["rsa-new"]) == {"kty", "kid", "use", "alg", "n", "e"}
    numbers = rsa_key("new").public_key().public_numbers()
    assert (b64int(by_kid["rsa-new"]["n"]), b64int(by_kid["rsa-new"]["e"])) == (numbers.n, numbers.e)
    assert by_kid["rsa-old"]["alg"] == "RS256" and by_kid["rsa-old"]["kty"] == "RSA"
    assert set(by_kid["ec-2"]) == {"kty", "kid", "use", "alg", "crv", "x", "y"}
    assert (by_kid["ec-2"]["kty"], by_kid["ec-2"]["crv"], by_kid["ec-2"]["alg"]) == ("EC", "P-256", "ES256")
    point = ec_key("ec2").public_key().public_numbers()
    assert (b64int(by_kid["ec-2"]["x"]), b64int(by_kid["ec-2"]["y"])) == (point.x, point.y)
    assert set(by_kid["ed-1"]) == {"kty", "kid", "use", "alg", "crv", "x"}
    assert (by_kid["ed-1"]["kty"], by_kid["ed-1"]["crv"], by_kid["ed-1"]["alg"]) == ("OKP", "Ed25519", "EdDSA")
    raw = response.content.decode()
    for secret in ("s" * 64, "t" * 64, "PRIVATE", "BEGIN"):
        assert secret not in raw


def test_jwks_view_methods_and_max_age(db):
    api = APIClient()
    with simple_jwt(**rotation_keys(JWKS_MAX_AGE=60)):
        assert api.get(JWKS_PATH)["Cache-Control"] == "public, max-age=60"
        assert api.head(JWKS_PATH).status_code == 200
        for method in (api.post, api.put, api.delete, api.options):
            assert method(JWKS_PATH).status_code == 405
    with simple_jwt(**rotation_keys(JWKS_MAX_AGE=-1)):  # E008: the default applies
        assert api.get(JWKS_PATH)["Cache-Control"] == "public, max-age=300"
    assert json.loads(api.get(JWKS_PATH).content) == {"keys": []}  # no KEYS: nothing to publish


def test_pyjwkclient_verifies_our_tokens_from_the_live_endpoint(http_project, django_user_model):
    """Interop: PyJWT's PyJWKClient fetches the set over HTTP and verifies what we mint, every algorithm."""
    user = django_user_model.objects.create_user("bob", password="pw")
    settings = mixed_keys()
    client = jwt.PyJWKClient(http_project.url + JWKS_PATH, cache_keys=False)
    with simple_jwt(**settings):
        minted = [str(AccessToken.for_user(user))]
    # Each asymmetric signing entry in turn: its tokens, verified by PyJWT from the published set alone.
    ec_first = {**settings, "KEYS": [settings["KEYS"][3], *settings["KEYS"][:3], *settings["KEYS"][4:]]}
    with simple_jwt(**ec_first):
        minted.append(str(AccessToken.for_user(user)))
    assert [header(token)["kid"] for token in minted] == ["rsa-new", "ec-2"]
    with simple_jwt(**settings):  # the live server serves what the settings say now
        for token in minted:
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=[header(token)["alg"]])
            assert str(claims["user_id"]) == str(user.pk)
        # A token of a key we do not publish: PyJWKClient finds no key for it.
        stranger = jwt.encode(claims_for(user), pkcs8_pem(rsa_key("stranger")), "RS256", {"kid": "stranger"})
        with pytest.raises(jwt.PyJWKClientError):
            client.get_signing_key_from_jwt(stranger)
        # A token re-signed by another key under a published kid fails PyJWT's signature check.
        forged = jwt.encode(claims_for(user), pkcs8_pem(rsa_key("stranger")), "RS256", {"kid": "rsa-new"})
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, client.get_signing_key_from_jwt(forged).key, algorithms=["RS256"])


def test_our_jwk_url_verifies_our_tokens_from_the_live_endpoint(http_project, django_user_model):
    """Interop: a backend configured as a verify-only service (ALGORITHM + JWK_URL, no key of its own)
    verifies the tokens this project mints, from the endpoint this project serves."""
    user = django_user_model.objects.create_user("carol", password="pw")
    with simple_jwt(**mixed_keys()):
        token = str(AccessToken.for_user(user))
        old = sign(pkcs8_pem(rsa_key("old")), "RS256", user, kid="rsa-old")
        verifier = backends.TokenBackend("RS256", None, jwk_url=http_project.url + JWKS_PATH)
        assert str(verifier.decode(token)["user_id"]) == str(user.pk)
        assert str(verifier.decode(old)["user_id"]) == str(user.pk)
        assert set(verifier.jwks.codecs) == {"rsa-new", "rsa-old"}  # the RS256 keys; ES256/EdDSA are not its
        for forged in (
            jwt.encode(claims_for(user), pkcs8_pem(rsa_key("stranger")), "RS256", {"kid": "rsa-new"}),
            jwt.encode(claims_for(user), pkcs8_pem(rsa_key("stranger")), "RS256", {"kid": "stranger"}),
        ):
            with pytest.raises(backends.up_exc.TokenBackendError):
                verifier.decode(forged)


# --- KEYS together with JWK_URL -------------------------------------------------------------------------


@pytest.fixture
def partner_jwks():
    """A partner's JWK set on a local HTTP server: one RS256 key, kid "partner-1"."""
    body = json.dumps(
        {
            "keys": [
                {
                    **json.loads(RSAAlgorithm.to_jwk(rsa_key("partner").public_key())),
                    "kid": "partner-1",
                    "use": "sig",
                    "alg": "RS256",
                }
            ]
        }
    ).encode()
    fetches = []

    with serve_json(body, fetches) as url:
        yield url, fetches


def test_keys_first_then_the_jwk_set(user, partner_jwks):
    url, fetches = partner_jwks
    api = APIClient()
    with simple_jwt(**rotation_keys(JWK_URL=url, ROTATE_REFRESH_TOKENS=True)):
        # Ours: minted here with our kid, verified by the key set without a fetch.
        pair = obtain(api).data
        assert header(pair["access"])["kid"] == "2026-11"
        assert me(api, pair["access"]).status_code == 200
        assert me(api, sign(pkcs8_pem(rsa_key("old")), "RS256", user, kid="2026-08")).status_code == 200
        rotated = refresh(api, pair["refresh"])
        assert rotated.status_code == 200 and header(rotated.data["refresh"])["kid"] == "2026-11"
        assert fetches == []
        # The partner's: a kid KEYS does not have goes to the JWK set.
        partner = sign(pkcs8_pem(rsa_key("partner")), "RS256", user, kid="partner-1")
        assert me(api, partner).status_code == 200
        assert verify(api, partner).status_code == 200
        assert str(AccessToken(partner)["user_id"]) == str(user.pk)
        assert len(fetches) == 1
        # Refused: a kid neither has, a partner kid signed by another key, our kid signed by the partner.
        for token in (
            sign(pkcs8_pem(rsa_key("partner")), "RS256", user, kid="nobody"),
            sign(pkcs8_pem(rsa_key("stranger")), "RS256", user, kid="partner-1"),
            sign(pkcs8_pem(rsa_key("partner")), "RS256", user, kid="2026-11"),
        ):
            assert me(api, token).status_code == 401
        # A partner's refresh token is not ours to rotate: this service's keys sign only its own.
        partner_refresh = sign(
            pkcs8_pem(rsa_key("partner")), "RS256", user, kid="partner-1", token_type="refresh", jti="p" * 32
        )
        assert refresh(api, partner_refresh).status_code == 401


def test_backend_decode_with_keys_and_jwk_url(user, partner_jwks):
    """TokenBackend.decode, upstream's seam, takes the same two steps."""
    url, _fetches = partner_jwks
    with simple_jwt(**rotation_keys(JWK_URL=url)):
        backend = backends.token_backend()
        ours = sign(pkcs8_pem(rsa_key("new")), "RS256", user, kid="2026-11")
        partner = sign(pkcs8_pem(rsa_key("partner")), "RS256", user, kid="partner-1")
        assert str(backend.decode(ours)["user_id"]) == str(user.pk)
        assert str(backend.decode(partner)["user_id"]) == str(user.pk)
        assert backend.get_verifying_key(partner) is backend.jwks.codecs["partner-1"]
        assert backend.get_verifying_key(ours) is backend.codec
        with pytest.raises(backends.up_exc.TokenBackendError):
            backend.decode(sign(pkcs8_pem(rsa_key("partner")), "RS256", user, kid="nobody"))


def test_a_plain_http_get_of_the_jwks_view(http_project):
    """A plain urllib GET, as any client sends it: JSON, cacheable, no authentication needed."""
    with simple_jwt(**rotation_keys()):
        with urllib.request.urlopen(http_project.url + JWKS_PATH, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            assert response.headers["Cache-Control"] == "public, max-age=300"
            kids = [jwk["kid"] for jwk in json.loads(response.read())["keys"]]
    assert kids == ["2026-11", "2026-08", "ed-1"]
