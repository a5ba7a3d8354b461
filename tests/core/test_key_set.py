"""Codec(keys=...): a key set selected by kid, its JWKS, and its errors."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from simplejwt_rs import Codec
from simplejwt_rs.exceptions import (
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidSettingError,
    InvalidSignatureError,
    InvalidTokenError,
    UnknownKeyError,
)

from . import keys

PAYLOAD = {"token_type": "access", "user_id": 7, "jti": "j1", "exp": int(time.time()) + 3600}


_OLD_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OLD_RSA = keys.pkcs8_pem(_OLD_KEY)
OLD_RSA_PUBLIC = keys.spki_pem(_OLD_KEY)


def header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def rotated() -> Codec:
    return Codec(
        "RS256",
        None,
        keys=[
            {"kid": "2026-11", "signing_key": keys.private_pem("RS256")},
            {"kid": "2026-08", "verifying_key": OLD_RSA_PUBLIC},
            {"kid": "ed-1", "algorithm": "EdDSA", "verifying_key": keys.public_pem("EdDSA")},
        ],
    )


def test_tokens_carry_the_signing_kid_byte_identical_to_pyjwt():
    codec = rotated()
    assert codec.kid == "2026-11"
    assert codec.kids == ["2026-11", "2026-08", "ed-1"]
    token = codec.encode(PAYLOAD)
    assert header(token) == {"alg": "RS256", "kid": "2026-11", "typ": "JWT"}
    pyjwt = jwt.encode(PAYLOAD, keys.private_pem("RS256"), algorithm="RS256", headers={"kid": "2026-11"})
    assert token == pyjwt
    assert codec.decode(token) == PAYLOAD
    assert codec.decode(pyjwt) == PAYLOAD


def test_every_entry_verifies_under_its_own_algorithm():
    codec = rotated()
    old = jwt.encode(PAYLOAD, OLD_RSA, algorithm="RS256", headers={"kid": "2026-08"})
    assert codec.decode(old) == PAYLOAD
    ed = jwt.encode(PAYLOAD, keys.private_pem("EdDSA"), algorithm="EdDSA", headers={"kid": "ed-1"})
    assert codec.decode(ed) == PAYLOAD
    # The EdDSA entry's kid under RS256: the entry's algorithm rules.
    with pytest.raises(InvalidAlgorithmError):
        codec.decode(jwt.encode(PAYLOAD, OLD_RSA, algorithm="RS256", headers={"kid": "ed-1"}))
    # The old key claiming the new kid.
    with pytest.raises(InvalidSignatureError):
        codec.decode(jwt.encode(PAYLOAD, OLD_RSA, algorithm="RS256", headers={"kid": "2026-11"}))


def test_unknown_kid_and_kidless_tokens_are_refused_unless_a_fallback_is_given():
    codec = rotated()
    with pytest.raises(UnknownKeyError, match="nope") as raised:
        codec.decode(jwt.encode(PAYLOAD, keys.private_pem("RS256"), algorithm="RS256", headers={"kid": "nope"}))
    assert isinstance(raised.value, InvalidTokenError)
    assert raised.value.code == "unknown_key"
    kidless = jwt.encode(PAYLOAD, OLD_RSA, algorithm="RS256")
    with pytest.raises(UnknownKeyError):
        codec.decode(kidless)
    # The settings' SIGNING_KEY from before the switch verifies tokens without a kid.
    fallback = Codec("RS256", OLD_RSA, keys=[{"kid": "2026-11", "signing_key": keys.private_pem("RS256")}])
    assert fallback.decode(kidless) == PAYLOAD
    assert header(fallback.encode(PAYLOAD))["kid"] == "2026-11"
    # Inspection without verifying needs no key.
    assert codec.decode(kidless, verify=False) == PAYLOAD


def test_without_a_key_set_a_kid_is_ignored_as_pyjwt_does():
    codec = Codec("HS256", keys.HMAC_SECRET)
    assert codec.kid is None and codec.kids == [] and codec.jwks() == {"keys": []}
    token = jwt.encode(PAYLOAD, keys.HMAC_SECRET, algorithm="HS256", headers={"kid": "anything"})
    assert codec.decode(token) == PAYLOAD
    assert header(codec.encode(PAYLOAD, headers={"kid": "mine"}))["kid"] == "mine"


def test_headers_cannot_change_the_signing_kid():
    codec = rotated()
    assert header(codec.encode(PAYLOAD, headers={"kid": "2026-11", "x": 1})) == {
        "alg": "RS256",
        "kid": "2026-11",
        "typ": "JWT",
        "x": 1,
    }
    assert header(codec.encode(PAYLOAD, headers={"cty": "a"}))["kid"] == "2026-11"
    with pytest.raises(InvalidKeyError, match="kid"):
        codec.encode(PAYLOAD, headers={"kid": "2026-08"})


@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"])
def test_the_jwks_verifies_our_tokens_in_pyjwt(alg):
    codec = Codec(
        alg,
        None,
        keys=[
            {"kid": "main", "signing_key": keys.private_pem(alg)},
            {"kid": "hs", "algorithm": "HS256", "signing_key": keys.HMAC_SECRET},
        ],
    )
    token = codec.encode(PAYLOAD)
    (published,) = codec.jwks()["keys"]
    assert published["kid"] == "main" and published["use"] == "sig" and published["alg"] == alg
    assert not keys.PRIVATE_JWK_MEMBERS & published.keys()
    # PyJWT's view of the public key equals the one cryptography derives.
    expected = {name: value for name, value in keys.jwk(alg, private=False).items() if name != "key_ops"}
    assert published == {**expected, "kid": "main", "use": "sig", "alg": alg}
    key = jwt.PyJWK(published).key
    assert jwt.decode(token, key, algorithms=[alg]) == PAYLOAD
    # And our own codec, given the JWK.
    assert Codec(alg, None, published).decode(token) == PAYLOAD


@pytest.mark.parametrize(
    ("keyset", "error", "words"),
    [
        ("not a list", InvalidSettingError, "list"),
        ({"kid": "a"}, InvalidSettingError, "list"),
        ([["kid", "a"]], InvalidSettingError, "list"),
        ([{"signing_key": keys.HMAC_SECRET}], InvalidSettingError, "kid"),
        ([{"kid": 5, "signing_key": keys.HMAC_SECRET}], InvalidSettingError, "kid"),
        ([{"kid": "", "signing_key": keys.HMAC_SECRET}], InvalidSettingError, "kid"),
        ([{"kid": "a"}], InvalidSettingError, "neither"),
        ([{"kid": "a", "signing_key": keys.HMAC_SECRET, "key": "x"}], InvalidSettingError, "'key'"),
        ([{"kid": "a", "algorithm": 256, "signing_key": keys.HMAC_SECRET}], InvalidSettingError, "algorithm"),
        ([{"kid": "a", "algorithm": "HS999", "signing_key": keys.HMAC_SECRET}], InvalidAlgorithmError, "HS999"),
        (
            [{"kid": "a", "signing_key": keys.HMAC_SECRET}, {"kid": "a", "signing_key": keys.HMAC_SECRET}],
            InvalidSettingError,
            "two",
        ),
        ([{"kid": "rsa-as-hs", "verifying_key": keys.public_pem("RS256")}], InvalidKeyError, "rsa-as-hs"),
        ([{"kid": "b", "algorithm": "ES256", "signing_key": keys.HMAC_SECRET}], InvalidKeyError, '"b"'),
    ],
)
def test_a_bad_key_set_raises_a_clear_error_without_key_material(keyset, error, words):
    with pytest.raises(error, match=words) as raised:
        Codec("HS256", None, keys=keyset)
    assert keys.HMAC_SECRET[:16] not in str(raised.value)


def test_a_verify_only_key_set_cannot_sign():
    codec = Codec("ES256", None, keys=[{"kid": "v", "verifying_key": keys.public_pem("ES256")}])
    assert not codec.can_sign and codec.kid is None
    with pytest.raises(InvalidKeyError):
        codec.encode(PAYLOAD)


_values = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.sampled_from(["HS256", "RS256", "EdDSA", keys.HMAC_SECRET, keys.public_pem("ES256")]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_entries = st.dictionaries(
    st.sampled_from(["kid", "algorithm", "signing_key", "verifying_key", "other"]), _values, max_size=4
)


# Derandomized (the same examples every run): it once failed about 1 run in 100 on the two pinned inputs.
@settings(max_examples=300, deadline=None, derandomize=True)
@given(keyset=st.one_of(_values, st.lists(st.one_of(_entries, _values), max_size=3)))
# An entry whose signing_key and verifying_key are not one pair: refused at construction (issue 19, item 10).
@example(keyset=[{"kid": "0", "signing_key": keys.HMAC_SECRET, "verifying_key": "0"}])
# A key set where no entry signs: it verifies only (with KEYS the top-level key never signs).
@example(keyset=[{"kid": "0", "verifying_key": "0"}])
def test_no_key_set_crashes(keyset):
    """Any key set either builds or raises one of the documented errors; one that builds verifies what it signs,
    and a verify-only one refuses to sign."""
    try:
        codec = Codec("HS256", keys.HMAC_SECRET, keys=keyset)
    except (InvalidSettingError, InvalidKeyError, InvalidAlgorithmError):
        return
    if not codec.can_sign:
        with pytest.raises(InvalidKeyError):
            codec.encode(PAYLOAD)
        return
    token = codec.encode(PAYLOAD)
    assert codec.decode(token) == PAYLOAD


@pytest.mark.parametrize("alg", keys.ALL)
def test_a_key_pair_that_does_not_match_is_refused(alg):
    """A KEYS entry (or the top-level keys) whose signing and verifying keys are not one pair would mint tokens
    the service refuses: InvalidKeyError at construction, naming the kid, never the key."""
    other = "another-secret-of-thirty-two-bytes-or-more!" if alg in keys.HMAC else keys.spki_pem(_other_key(alg))
    entry = {"kid": "mismatch", "algorithm": alg, "signing_key": keys.signing_key(alg), "verifying_key": other}
    with pytest.raises(InvalidKeyError, match="not one key pair") as raised:
        Codec("RS256", None, keys=[entry])
    assert "mismatch" in str(raised.value) and "PRIVATE" not in str(raised.value)
    with pytest.raises(InvalidKeyError, match="not one key pair"):
        Codec(alg, keys.signing_key(alg), other)
    matching = Codec("RS256", None, keys=[{**entry, "verifying_key": keys.verifying_key(alg)}])
    assert matching.decode(matching.encode(PAYLOAD)) == PAYLOAD


def _other_key(alg: str):
    if alg in keys.RSA:
        return _OLD_KEY
    if alg in keys.EC:
        return ec.generate_private_key(keys.EC[alg]())
    return ed25519.Ed25519PrivateKey.generate()


def test_a_verify_only_codec_refreshes_nothing_and_never_calls_back():
    """A JWK set's key is prepared verify-only: refresh with it refuses before verifying, so the admission
    callback (which may consume the token in the store) never runs (issue 19, item 1)."""
    signer = Codec("ES256", keys.private_pem("ES256"))
    verify_only = Codec("ES256", None, keys.public_pem("ES256"))
    token = signer.encode({**PAYLOAD, "token_type": "refresh"})
    assert verify_only.decode(token)["token_type"] == "refresh"
    calls = []
    with pytest.raises(InvalidKeyError, match="no signing key"):
        verify_only.refresh(token, calls.append, access_lifetime=300, refresh_lifetime=600, rotate=True)
    assert calls == []
    assert signer.refresh(token, lambda claims: True, access_lifetime=300)["access"]
