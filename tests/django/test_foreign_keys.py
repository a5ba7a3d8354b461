"""A token verified by a key of the JWK set (a partner's, verify-only) is never refreshed, rotated or re-signed.

With ``KEYS`` and ``JWK_URL`` (and with ``JWK_URL`` alone, even with a ``SIGNING_KEY`` that can sign), a
partner's token is presented at every entry point where a token can enter: it may authenticate and verify,
and nothing this service mints ever comes out of it. Each minting entry point answers 401 and writes no row.
"""

from __future__ import annotations

import functools
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient
from rest_framework_simplejwt import serializers as upstream_serializers
from rest_framework_simplejwt import tokens as upstream_tokens
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from simplejwt_rs import backends, upstream_patch
from simplejwt_rs.tokens import AccessToken, RefreshToken, SlidingToken, UntypedToken

from tests.core.keys import pkcs8_pem, spki_pem
from tests.django.helpers import code, logout, me, obtain, refresh, serve_json, simple_jwt, verify

pytestmark = pytest.mark.django_db

PARTNER_KID = "partner-1"
OUR_KID = "ours-1"


@functools.cache
def rsa_key(name: str):
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def partner_url():
    """A partner's JWK set on a local HTTP server: one RS256 key."""
    public = json.loads(RSAAlgorithm.to_jwk(rsa_key("partner").public_key()))
    body = json.dumps({"keys": [{**public, "kid": PARTNER_KID, "use": "sig", "alg": "RS256"}]}).encode()

    with serve_json(body) as url:
        yield url


def with_keys(url, **extra):
    """Our key set signs; the partner's JWK set verifies."""
    return {
        "ALGORITHM": "RS256",
        "KEYS": [{"kid": OUR_KID, "signing_key": pkcs8_pem(rsa_key("ours"))}],
        "JWK_URL": url,
        "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken"),
        **extra,
    }


def jwk_url_alone(url, **extra):
    """JWK_URL with a SIGNING_KEY that can sign (check E030): still, nothing is minted from a partner's token."""
    return {
        "ALGORITHM": "RS256",
        "SIGNING_KEY": pkcs8_pem(rsa_key("ours")),
        "VERIFYING_KEY": spki_pem(rsa_key("ours")),
        "JWK_URL": url,
        "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken"),
        **extra,
    }


CONFIGURATIONS = {"KEYS and JWK_URL": with_keys, "JWK_URL alone": jwk_url_alone}


def partner_token(user, token_type, **claims):
    now = int(time.time())
    payload = {
        "token_type": token_type,
        "exp": now + 600,
        "iat": now,
        "jti": f"partner{token_type}{now}",
        "user_id": str(user.pk),
        **({"refresh_exp": now + 3600} if token_type == "sliding" else {}),
        **claims,
    }
    return jwt.encode(payload, rsa_key("partner"), algorithm="RS256", headers={"kid": PARTNER_KID})


def no_token_in(response):
    body = json.dumps(response.data, default=str)
    for part in body.replace('"', " ").split():
        assert part.count(".") != 2 or len(part) < 40, f"a token came back: {response.data}"


def assert_refused(response):
    assert response.status_code == 401, response.data
    assert code(response) == "token_not_valid"
    no_token_in(response)


def no_rows_for(jti):
    assert not OutstandingToken.objects.filter(jti=jti).exists()
    assert not BlacklistedToken.objects.filter(token__jti=jti).exists()


@pytest.fixture(params=sorted(CONFIGURATIONS))
def partner_setup(request, partner_url):
    return CONFIGURATIONS[request.param], partner_url


@pytest.mark.parametrize(
    "rotation",
    [
        {},
        {"ROTATE_REFRESH_TOKENS": True},
        {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True},
    ],
    ids=["plain", "rotate", "rotate-blacklist"],
)
@pytest.mark.parametrize("url", ["/api/token/refresh/", "/rs/token/refresh/"], ids=["upstream-view", "our-view"])
def test_pair_refresh_refuses_a_partner_refresh_token(user, partner_setup, rotation, url):
    settings, jwk_url = partner_setup
    api = APIClient()
    with simple_jwt(**settings(jwk_url, **rotation)):
        token = partner_token(user, "refresh")
        assert me(api, partner_token(user, "access")).status_code == 200  # the JWK set is live and trusted
        assert_refused(refresh(api, token))
        assert_refused(refresh(api, token))  # and again: nothing was consumed or recorded either
        no_rows_for(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_sliding_refresh_refuses_a_partner_sliding_token(user, partner_setup):
    settings, jwk_url = partner_setup
    api = APIClient()
    with simple_jwt(**settings(jwk_url)):
        token = partner_token(user, "sliding")
        assert me(api, token).status_code == 200  # a partner's sliding token authenticates
        response = api.post("/api/token/sliding/refresh/", {"token": token}, format="json")
        assert_refused(response)


def test_logout_refuses_a_partner_refresh_token(user, partner_setup):
    settings, jwk_url = partner_setup
    api = APIClient()
    with simple_jwt(**settings(jwk_url, ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)):
        token = partner_token(user, "refresh")
        assert_refused(logout(api, token))
        no_rows_for(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_verify_and_authenticate_accept_a_partner_token(user, partner_setup):
    """What a JWK-set key may do: verify (TokenVerifyView) and authenticate, as the README says."""
    settings, jwk_url = partner_setup
    api = APIClient()
    with simple_jwt(**settings(jwk_url)):
        access = partner_token(user, "access")
        assert verify(api, access).status_code == 200
        assert me(api, access).status_code == 200
        assert UntypedToken(access)["user_id"] == str(user.pk)


def test_obtain_mints_only_from_credentials(user, partner_setup):
    """A partner's token is no credential at obtain (pair or sliding); with credentials, our own key signs."""
    settings, jwk_url = partner_setup
    api = APIClient()
    with simple_jwt(**settings(jwk_url)):
        partner = partner_token(user, "access")
        for url in ("/api/token/", "/api/token/sliding/", "/rs/token/"):
            response = api.post(
                url, {"token": partner, "refresh": partner}, format="json", HTTP_AUTHORIZATION=f"Bearer {partner}"
            )
            assert response.status_code == 400, response.data
            no_token_in(response)
        if settings is with_keys:
            pair = obtain(api).data
            assert {jwt.get_unverified_header(t)["kid"] for t in pair.values()} == {OUR_KID}


def test_token_classes_never_re_sign_a_partner_token(user, partner_setup):
    """The programmatic paths (a project's own view, another package): no token of ours comes out of theirs."""
    settings, jwk_url = partner_setup
    with simple_jwt(**settings(jwk_url)):
        access = AccessToken(partner_token(user, "access"))
        assert str(access) == access.token  # handed back as presented, not re-signed
        access["user_id"] = "someone else"
        with pytest.raises(TokenError):
            str(access)
        with pytest.raises(TokenError):
            RefreshToken(partner_token(user, "refresh"))
        sliding = SlidingToken(partner_token(user, "sliding"))
        sliding.set_exp()
        with pytest.raises(TokenError):
            str(sliding)
        with pytest.raises(TokenBackendError):
            backends.token_backend().minting_codec_for(partner_token(user, "refresh"))


class CheckedRefresh(RefreshToken):
    """A project's token class with its own verify(): validated on the Python path, not the core's fast one."""

    def verify(self):
        super().verify()


class CheckedSliding(SlidingToken):
    def verify(self):
        super().verify()


def test_token_classes_with_their_own_verify_take_the_same_rule(user, partner_setup):
    settings, jwk_url = partner_setup
    with simple_jwt(**settings(jwk_url)):
        with pytest.raises(TokenError):
            CheckedRefresh(partner_token(user, "refresh"))
        sliding = CheckedSliding(partner_token(user, "sliding"))
        assert str(sliding) == sliding.token
        sliding.set_exp()
        with pytest.raises(TokenError):
            str(sliding)


def test_upstream_serializers_with_the_opt_in_refuse_a_partner_token(user, partner_setup):
    """PATCH_UPSTREAM_CLASSES: upstream's serializers (dj-rest-auth's subclasses) reach ours, and refuse too."""
    settings, jwk_url = partner_setup
    with simple_jwt(**settings(jwk_url, PATCH_UPSTREAM_CLASSES=True)):
        assert upstream_patch.applied()
        refresh_serializer = upstream_serializers.TokenRefreshSerializer(
            data={"refresh": partner_token(user, "refresh")}
        )
        with pytest.raises(TokenError):
            refresh_serializer.is_valid()
        sliding_serializer = upstream_serializers.TokenRefreshSlidingSerializer(
            data={"token": partner_token(user, "sliding")}
        )
        with pytest.raises(TokenError):
            sliding_serializer.is_valid()
        with pytest.raises(TokenError):
            upstream_tokens.RefreshToken(partner_token(user, "refresh"))
    assert not upstream_patch.applied()
