"""RFC 9864: `Ed25519`, the fully-specified name of EdDSA over Ed25519, beside the polymorphic `EdDSA`.

PyJWT 2.x knows only `EdDSA`; a PyJWS with its Ed25519 implementation registered under `Ed25519` is the
reference here: same keys, same signature, only the header's `alg` differs.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import OKPAlgorithm
from simplejwt_rs import ALGORITHMS, Codec
from simplejwt_rs.exceptions import InvalidAlgorithmError, InvalidKeyError

from . import keys

PAYLOAD = {"token_type": "access", "user_id": 7, "jti": "j1", "exp": int(time.time()) + 3600}

PRIVATE = keys.pkcs8_pem(keys.private_key("EdDSA"))
PUBLIC = keys.spki_pem(keys.private_key("EdDSA"))


def rfc9864_pyjws() -> jwt.PyJWS:
    jws = jwt.PyJWS()
    jws.register_algorithm("Ed25519", OKPAlgorithm())
    return jws


REFERENCE = rfc9864_pyjws()


def encode_reference(payload: dict, alg: str, headers: dict | None = None) -> str:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return REFERENCE.encode(body, PRIVATE, algorithm=alg, headers=headers)


def header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_both_names_are_algorithms():
    assert "EdDSA" in ALGORITHMS
    assert "Ed25519" in ALGORITHMS


CLAIMS = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda k: k not in PAYLOAD),
    st.one_of(st.integers(-(2**53), 2**53), st.text(max_size=20), st.booleans(), st.none()),
    max_size=4,
)


@settings(max_examples=50, deadline=None)
@given(extra=CLAIMS)
def test_ed25519_tokens_are_the_reference_byte_for_byte_and_verify_both_ways(extra):
    payload = {**PAYLOAD, **extra}
    codec = Codec("Ed25519", PRIVATE, PUBLIC)
    ours = codec.encode(payload)
    assert header(ours) == {"alg": "Ed25519", "typ": "JWT"}
    assert ours == encode_reference(payload, "Ed25519")
    assert json.loads(REFERENCE.decode(ours, PUBLIC, algorithms=["Ed25519"])) == payload
    assert codec.decode(encode_reference(payload, "Ed25519")) == payload
    # A verify-only codec from the public key alone, and one from the public JWK, agree.
    assert Codec("Ed25519", None, PUBLIC).decode(ours) == payload
    assert Codec("Ed25519", None, keys.jwk("EdDSA", private=False)).decode(ours) == payload


def test_the_header_alg_is_the_configured_name_and_pinned():
    eddsa = Codec("EdDSA", PRIVATE)
    ed25519 = Codec("Ed25519", PRIVATE)
    # Same key: the configured name is what the header says.
    assert header(eddsa.encode(PAYLOAD))["alg"] == "EdDSA"
    assert header(ed25519.encode(PAYLOAD))["alg"] == "Ed25519"
    # Neither verifies a token labelled with the other name, though the signature would check out.
    with pytest.raises(InvalidAlgorithmError):
        ed25519.decode(jwt.encode(PAYLOAD, PRIVATE, algorithm="EdDSA"))
    with pytest.raises(InvalidAlgorithmError):
        eddsa.decode(ed25519.encode(PAYLOAD))
    # Nor may a caller write the other name into a header.
    with pytest.raises(InvalidAlgorithmError):
        ed25519.encode(PAYLOAD, headers={"alg": "EdDSA"})


def test_ed25519_refuses_what_eddsa_refuses():
    for key in (keys.private_pem("ES256"), keys.private_pem("RS256"), keys.HMAC_SECRET):
        with pytest.raises(InvalidKeyError) as eddsa:
            Codec("EdDSA", key)
        with pytest.raises(InvalidKeyError) as ed25519:
            Codec("Ed25519", key)
        assert str(ed25519.value) == str(eddsa.value).replace("EdDSA needs", "Ed25519 needs")
    # A JWK marked for the other name is another algorithm's key (RFC 7517 §4.4).
    with pytest.raises(InvalidKeyError):
        Codec("Ed25519", None, {**keys.jwk("EdDSA", private=False), "alg": "EdDSA"})
    assert Codec("Ed25519", None, {**keys.jwk("EdDSA", private=False), "alg": "Ed25519"}).can_sign is False


def test_a_key_set_publishes_ed25519_and_keeps_the_eddsa_tokens_already_out():
    old = keys.pkcs8_pem(keys.private_key("EdDSA"))
    new_key = keys.private_key("Ed25519")
    before = Codec("EdDSA", old)
    old_token = before.encode(PAYLOAD)
    after = Codec(
        "EdDSA", old, keys=[{"kid": "ed-2026", "algorithm": "Ed25519", "signing_key": keys.pkcs8_pem(new_key)}]
    )
    new_token = after.encode(PAYLOAD)
    assert header(new_token) == {"alg": "Ed25519", "kid": "ed-2026", "typ": "JWT"}
    assert after.decode(old_token) == PAYLOAD
    assert after.decode(new_token) == PAYLOAD
    (jwk,) = after.jwks()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "Ed25519", "ed-2026")
    assert Codec("Ed25519", None, jwk).decode(new_token) == PAYLOAD
