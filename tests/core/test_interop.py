"""Differential tests against PyJWT: every algorithm, both directions, every key format."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from simplejwt_rs import Codec, decode_header
from simplejwt_rs.exceptions import InvalidKeyError, InvalidSignatureError

from . import keys

NOW = int(time.time())
PAYLOAD = {
    "token_type": "access",
    "exp": NOW + 3600,
    "iat": NOW,
    "jti": "0123456789abcdef0123456789abcdef",
    "user_id": 42,
}


@pytest.mark.parametrize("alg", keys.ALL)
def test_pyjwt_decodes_ours_and_we_decode_pyjwts(alg):
    codec = Codec(alg, keys.signing_key(alg), keys.verifying_key(alg))
    ours = codec.encode(PAYLOAD)
    theirs = jwt.encode(PAYLOAD, keys.signing_key(alg), algorithm=alg)
    assert jwt.decode(ours, keys.verifying_key(alg), algorithms=[alg]) == PAYLOAD
    assert codec.decode(theirs, token_type="access", jti_claim="jti", require_exp=True) == PAYLOAD
    assert codec.decode(ours) == PAYLOAD
    if alg in keys.DETERMINISTIC:
        assert ours == theirs
    else:
        assert ours.split(".")[:2] == theirs.split(".")[:2]


@pytest.mark.parametrize("alg", keys.DETERMINISTIC)
def test_byte_identical_with_headers_and_awkward_payloads(alg):
    codec = Codec(alg, keys.signing_key(alg))
    payload = {
        "text": 'é ☃ 😀 "quoted" \\ \n\t\x00\x1f\x7f',
        "floats": [0.1, 1e16, 1.5e-7, -0.0, 123456789.125, 1e-4, 2.5e300],
        "ints": [0, -1, 2**63, -(2**70), True, False, None],
        "nested": {"a": [{"b": ()}], "": {}},
        1: "int key",
        2.5: "float key",
        None: "none key",
        False: "bool key",
    }
    headers = {"kid": "key-1", "x-extra": [1, "two"]}
    assert codec.encode(payload, headers) == jwt.encode(payload, keys.signing_key(alg), algorithm=alg, headers=headers)
    assert decode_header(codec.encode(payload, headers))["kid"] == "key-1"
    no_typ = {"typ": None}
    assert codec.encode(PAYLOAD, no_typ) == jwt.encode(PAYLOAD, keys.signing_key(alg), algorithm=alg, headers=no_typ)


@pytest.mark.parametrize(
    ("alg", "fmt"),
    [
        ("RS256", "pkcs1"),
        ("RS256", "pkcs8"),
        ("PS384", "pkcs1"),
        ("ES256", "sec1"),
        ("ES384", "pkcs8"),
        ("ES512", "sec1"),
        ("EdDSA", "pkcs8"),
    ],
)
def test_private_pem_formats(alg, fmt):
    codec = Codec(alg, keys.private_pem(alg, fmt))
    token = codec.encode(PAYLOAD)
    assert jwt.decode(token, keys.public_pem(alg), algorithms=[alg]) == PAYLOAD
    # With no verifying key, the codec verifies with the private key's public half.
    assert codec.decode(token) == PAYLOAD


@pytest.mark.parametrize(("alg", "fmt"), [("RS256", "pkcs1"), ("RS512", "spki"), ("ES256", "spki"), ("EdDSA", "spki")])
def test_public_pem_formats(alg, fmt):
    token = jwt.encode(PAYLOAD, keys.signing_key(alg), algorithm=alg)
    codec = Codec(alg, None, keys.public_pem(alg, fmt))
    assert codec.decode(token) == PAYLOAD
    assert not codec.can_sign
    with pytest.raises(InvalidKeyError, match="no signing key"):
        codec.encode(PAYLOAD)


@pytest.mark.parametrize("alg", keys.ASYMMETRIC)
@pytest.mark.parametrize("as_text", [False, True])
def test_jwk_keys(alg, as_text):

    public, private = keys.jwk(alg, private=False), keys.jwk(alg, private=True)
    if as_text:
        public, private = json.dumps(public), json.dumps(private)
    codec = Codec(alg, private, public)
    token = codec.encode(PAYLOAD)
    assert jwt.decode(token, keys.verifying_key(alg), algorithms=[alg]) == PAYLOAD
    assert Codec(alg, None, public).decode(jwt.encode(PAYLOAD, keys.signing_key(alg), algorithm=alg)) == PAYLOAD


def test_hmac_jwk():
    k = jwt.utils.base64url_encode(keys.HMAC_SECRET.encode()).decode()
    codec = Codec("HS256", {"kty": "oct", "k": k})
    assert codec.encode(PAYLOAD) == jwt.encode(PAYLOAD, keys.HMAC_SECRET, algorithm="HS256")


def test_bytes_secret_equals_str_secret():
    assert Codec("HS256", keys.HMAC_SECRET.encode()).encode(PAYLOAD) == Codec("HS256", keys.HMAC_SECRET).encode(PAYLOAD)


@pytest.mark.parametrize(
    ("alg", "key_alg"),
    [
        ("ES256", "ES384"),
        ("ES384", "ES512"),
        ("ES512", "ES256"),
        ("RS256", "ES256"),
        ("EdDSA", "RS256"),
        ("ES256", "EdDSA"),
        ("PS256", "EdDSA"),
    ],
)
def test_wrong_key_type_or_curve_is_refused(alg, key_alg):
    with pytest.raises(InvalidKeyError, match=alg):
        Codec(alg, keys.private_pem(key_alg))
    with pytest.raises(InvalidKeyError, match=alg):
        Codec(alg, None, keys.public_pem(key_alg))
    with pytest.raises(InvalidKeyError):
        Codec(alg, keys.jwk(key_alg, private=True))


def test_key_errors_are_clear():
    with pytest.raises(InvalidKeyError, match="private key"):
        Codec("RS256", keys.public_pem("RS256"))
    with pytest.raises(InvalidKeyError, match="private JWK"):
        Codec("ES256", keys.jwk("ES256", private=False))
    with pytest.raises(InvalidKeyError, match="PEM"):
        Codec("RS256", "not a key")
    with pytest.raises(InvalidKeyError, match="empty"):
        Codec("HS256", "")
    with pytest.raises(InvalidKeyError, match="verifying key"):
        Codec("RS256", None)
    with pytest.raises(InvalidKeyError, match="str, bytes or a JWK"):
        Codec("HS256", 12345)
    with pytest.raises(InvalidKeyError, match="alg"):
        Codec("ES256", {**keys.jwk("ES256", private=True), "alg": "ES384"})
    with pytest.raises(InvalidKeyError, match="use"):
        Codec("ES256", {**keys.jwk("ES256", private=True), "use": "enc"})


def test_signature_from_another_key_is_refused():
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()
    )
    token = Codec("ES256", stranger).encode(PAYLOAD)
    with pytest.raises(InvalidSignatureError):
        Codec("ES256", keys.private_pem("ES256")).decode(token)


def test_rsa_keys_under_2048_bits_are_refused():
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = weak.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    public = weak.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="2048"):
        Codec("RS256", private)
    with pytest.raises(InvalidKeyError, match="2048"):
        Codec("RS256", None, public)
    weak_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(weak.public_key()))
    with pytest.raises(InvalidKeyError, match="2048"):
        Codec("RS256", None, weak_jwk)
