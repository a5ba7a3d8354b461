"""RFC 9864's `Ed25519` as ALGORITHM, as a KEYS entry's algorithm, in the JWK set we publish and in JWK_URL.

`EdDSA` stays; the header's `alg` is the configured name, and each name verifies only tokens that carry it.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
from jwt.algorithms import OKPAlgorithm
from rest_framework.test import APIClient
from simplejwt_rs import backends
from simplejwt_rs.tokens import AccessToken

from tests.core.keys import pkcs8_pem, spki_pem
from tests.django.helpers import code, me, obtain, refresh, simple_jwt, verify
from tests.django.test_keys import JWKS_PATH, ed_key, header, http_project  # noqa: F401 (a fixture)
from tests.django.test_keys_checks import ids

pytestmark = pytest.mark.django_db


def ed25519_settings(**extra):
    return {
        "ALGORITHM": "Ed25519",
        "SIGNING_KEY": pkcs8_pem(ed_key("ed")),
        "VERIFYING_KEY": spki_pem(ed_key("ed")),
        **extra,
    }


def labelled(alg: str, user, kid: str | None = None) -> str:
    """An access token for ``user`` signed with ed_key("ed"), its header saying ``alg``."""
    jws = jwt.PyJWS()
    jws.register_algorithm("Ed25519", OKPAlgorithm())
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": f"j{now}", "user_id": str(user.pk)}
    headers = {"typ": "JWT", **({"kid": kid} if kid else {})}
    return jws.encode(json.dumps(claims).encode(), pkcs8_pem(ed_key("ed")), algorithm=alg, headers=headers)


def test_ed25519_as_algorithm_passes_the_checks_and_serves_every_view(user):
    api = APIClient()
    with simple_jwt(**ed25519_settings(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)):
        assert ids() == []
        response = obtain(api)
        assert response.status_code == 200, response.data
        pair = response.data
        assert {json.dumps(header(token)) for token in pair.values()} == {'{"alg": "Ed25519", "typ": "JWT"}'}
        assert me(api, pair["access"]).status_code == 200
        assert verify(api, pair["access"]).status_code == 200
        rotated = refresh(api, pair["refresh"])
        assert rotated.status_code == 200, rotated.data
        assert header(rotated.data["access"])["alg"] == "Ed25519"
        assert me(api, labelled("Ed25519", user)).status_code == 200
        # The same key's signature under the polymorphic name: not this configuration's algorithm.
        refused = me(api, labelled("EdDSA", user))
        assert (refused.status_code, code(refused)) == (401, "token_not_valid")
    with simple_jwt(**ed25519_settings(ALGORITHM="EdDSA")):
        assert ids() == []
        assert header(str(AccessToken.for_user(user)))["alg"] == "EdDSA"
        assert me(api, labelled("EdDSA", user)).status_code == 200
        refused = me(api, labelled("Ed25519", user))
        assert (refused.status_code, code(refused)) == (401, "token_not_valid")


def migration_keys():
    """EdDSA tokens without a kid already out; a new Ed25519 entry signs from now on."""
    return {
        "ALGORITHM": "EdDSA",
        "SIGNING_KEY": pkcs8_pem(ed_key("ed")),
        "KEYS": [{"kid": "ed-2026", "algorithm": "Ed25519", "signing_key": pkcs8_pem(ed_key("ed-2026"))}],
    }


def test_a_keys_entry_of_ed25519_signs_publishes_and_keeps_eddsa_tokens(user, http_project, django_user_model):  # noqa: F811
    api = APIClient()
    old = labelled("EdDSA", user)  # signed with SIGNING_KEY, no kid: minted before the key set
    with simple_jwt(**migration_keys()):
        assert ids() == ["simplejwt_rs.W044"]  # the kid-less fallback: remove it once old tokens expired
        token = str(AccessToken.for_user(user))
        assert header(token) == {"alg": "Ed25519", "kid": "ed-2026", "typ": "JWT"}
        assert me(api, token).status_code == 200
        assert me(api, old).status_code == 200
        (jwk,) = json.loads(api.get(JWKS_PATH).content)["keys"]
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "Ed25519", "ed-2026")
        # A verify-only service configured with the RFC 9864 name reads the published set over HTTP.
        verifier = backends.TokenBackend("Ed25519", None, jwk_url=http_project.url + JWKS_PATH)
        assert str(verifier.decode(token)["user_id"]) == str(user.pk)
        assert set(verifier.jwks.codecs) == {"ed-2026"}
        # One configured with the polymorphic name does not take a key published for Ed25519.
        legacy = backends.TokenBackend("EdDSA", None, jwk_url=http_project.url + JWKS_PATH)
        with pytest.raises(backends.up_exc.TokenBackendError):
            legacy.decode(token)
