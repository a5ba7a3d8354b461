"""Algorithm confusion and malformed tokens: each gets the documented exception class."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import uuid

import jwt
import pytest
from simplejwt_rs import Codec, decode_header
from simplejwt_rs import exceptions as exc

from . import keys

NOW = int(time.time())
CLAIMS = {"token_type": "access", "exp": NOW + 3600, "iat": NOW, "jti": "x" * 32, "user_id": 1}


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header: dict | str, payload: dict | str | bytes, secret: bytes = keys.HMAC_SECRET.encode()) -> str:
    """A token signed correctly, whatever its contents, so only the contents can fail."""
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    p = payload if isinstance(payload, (str, bytes)) else json.dumps(payload, separators=(",", ":"))
    signing_input = f"{b64(h)}.{b64(p)}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


HS = Codec("HS256", keys.HMAC_SECRET)
HS256_HEADER = b64('{"alg":"HS256"}')


def test_alg_none_is_refused():
    unsigned = b64('{"alg":"none","typ":"JWT"}') + "." + b64(json.dumps(CLAIMS)) + "."
    with pytest.raises(exc.InvalidAlgorithmError):
        HS.decode(unsigned)
    with pytest.raises(exc.InvalidAlgorithmError):
        Codec("RS256", keys.signing_key("RS256")).decode(unsigned)
    with pytest.raises(exc.InvalidAlgorithmError):
        Codec("none", "x")


@pytest.mark.parametrize("alg", ["HS384", "HS512", "RS256", "ES256", "EdDSA", "PS256"])
def test_switched_alg_is_refused(alg):
    token = jwt.encode(CLAIMS, keys.signing_key(alg), algorithm=alg)
    with pytest.raises(exc.InvalidAlgorithmError):
        HS.decode(token)


def test_hs_token_signed_with_rsa_public_key_as_secret():
    public_pem = keys.public_pem("RS256").encode()
    forged = hs256({"alg": "HS256", "typ": "JWT"}, CLAIMS, secret=public_pem)
    with pytest.raises(exc.InvalidAlgorithmError):
        Codec("RS256", None, keys.public_pem("RS256")).decode(forged)
    # And a codec can't be configured to verify HS tokens with a public key as the secret.
    with pytest.raises(exc.InvalidKeyError, match="HMAC secret"):
        Codec("HS256", public_pem)
    with pytest.raises(exc.InvalidKeyError, match="HMAC secret"):
        Codec("HS256", "ssh-rsa AAAAB3NzaC1yc2E user@host")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "...",
        "e30.e30.e30.",
        "!!!.e30.sig",
        HS256_HEADER + ".***." + b64("x"),
        HS256_HEADER + ".e30.***",
        HS256_HEADER + "=.e30.sig",
    ],
)
def test_malformed_structure(token):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(token)


@pytest.mark.parametrize(
    "header",
    [
        '{"alg":"HS256"',
        '["HS256"]',
        '"HS256"',
        '{"alg":"HS256","crit":["exp"]}',
        '{"alg":"HS256","b64":false}',
        '{"alg":"HS256","kid":{"path":"../../etc/passwd"}}',
    ],
)
def test_bad_headers(header):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256(header, CLAIMS))


@pytest.mark.parametrize("payload", ["{", "[1,2]", '"text"', "42", "null", b"\xff\xfe", '{"a":NaN}', '{"a":1}x'])
def test_payload_must_be_a_json_object(payload):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256({"alg": "HS256"}, payload))


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1700000000", True, None, [1], {"a": 1}])
def test_time_claims_of_the_wrong_type(claim, value):
    with pytest.raises(exc.InvalidClaimError, match=claim):
        HS.decode(hs256({"alg": "HS256"}, {**CLAIMS, claim: value}))


def test_huge_and_negative_time_claims():
    assert HS.decode(hs256({"alg": "HS256"}, {"exp": 10**40}))["exp"] == 10**40
    with pytest.raises(exc.ExpiredTokenError):
        HS.decode(hs256({"alg": "HS256"}, {"exp": -(10**40)}))
    with pytest.raises(exc.ImmatureTokenError):
        HS.decode(hs256({"alg": "HS256"}, {"nbf": 10**40}))
    with pytest.raises(exc.ExpiredTokenError):
        HS.decode(hs256({"alg": "HS256"}, {"exp": -1.5}))


def test_huge_input_is_refused_before_parsing():
    with pytest.raises(exc.TokenTooLargeError) as err:
        HS.decode("a" * 5_000_000)
    assert isinstance(err.value, exc.InvalidTokenError)
    small = Codec("HS256", keys.HMAC_SECRET, max_token_bytes=100)
    with pytest.raises(exc.TokenTooLargeError):
        small.decode(HS.encode(CLAIMS))


def test_not_a_token():
    for token in (None, 123, ["a.b.c"], bytearray(b"a.b.c")):
        with pytest.raises(exc.InvalidTokenError):
            HS.decode(token)
    with pytest.raises(exc.InvalidTokenError):
        HS.decode("\ud800.e30.e30")  # a lone surrogate is not text that can be a token


def test_bytes_tokens_are_accepted():
    token = HS.encode(CLAIMS)
    assert HS.decode(token.encode()) == CLAIMS


def test_deep_nesting_is_an_invalid_token_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    token = hs256({"alg": "HS256"}, '{"a":' + deep + "}")
    with pytest.raises(exc.InvalidTokenError):
        Codec("HS256", keys.HMAC_SECRET, max_token_bytes=1 << 20).decode(token)


def test_decode_header():
    token = HS.encode(CLAIMS, {"kid": "k1"})
    assert decode_header(token) == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    for bad in ("", "!!!", b64("[]") + ".e30.x", 42):
        with pytest.raises(exc.InvalidTokenError):
            decode_header(bad)


def test_every_error_class_has_a_stable_distinct_code():
    classes = [getattr(exc, name) for name in exc.__all__]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    # Every error about a token or a key is a JWTError; a setting out of range is not (no 401 may hide it).
    assert all(issubclass(cls, exc.JWTError) for cls in classes if cls is not exc.InvalidSettingError)
    assert issubclass(exc.InvalidSettingError, ValueError) and not issubclass(exc.InvalidSettingError, exc.JWTError)
    assert {cls.code: cls for cls in classes} == exc.BY_CODE
    assert not issubclass(exc.ExpiredTokenError, exc.InvalidTokenError)  # simplejwt tells them apart


@pytest.mark.parametrize(
    "payload", ['{"exp":1e400}', '{"x":-1e999}', '{"nested":{"deep":[1,2e308]}}', '{"ok":1e308,"bad":[1E400]}']
)
def test_numbers_beyond_float_range_are_refused(payload):
    # Python would read them as infinity: an exp that never passes, and a claim that cannot be re-encoded.
    with pytest.raises(exc.InvalidTokenError, match="out of range"):
        HS.decode(hs256({"alg": "HS256"}, payload))


@pytest.mark.parametrize("digits", [309, 400, 1000])
@pytest.mark.parametrize("shape", ['{{"x":{n}.5}}', '{{"x":[{n}.5]}}', '{{"x":{{"y":-{n}.0}}}}'])
def test_decimals_beyond_float_range_without_an_exponent_are_refused(digits, shape):
    # 400 digits and a point: no exponent, still no float holds it.
    payload = shape.format(n="9" * digits)
    with pytest.raises(exc.InvalidTokenError, match="out of range"):
        HS.decode(hs256({"alg": "HS256"}, payload))
    # The same digits without a point are an exact int, which Python holds.
    assert HS.decode(hs256({"alg": "HS256"}, payload.replace(".5", "").replace(".0", "")))
    with pytest.raises(exc.InvalidTokenError, match="out of range"):
        HS.decode(hs256({"alg": "HS256"}, payload), verify=False)


def test_large_finite_numbers_with_exponents_are_kept():
    assert HS.decode(hs256({"alg": "HS256"}, '{"x":[1e308,"e"],"y":{"E":2.5E-3}}')) == {
        "x": [1e308, "e"],
        "y": {"E": 2.5e-3},
    }


def test_by_code_maps_every_class():
    assert {cls.code: cls for cls in (getattr(exc, name) for name in exc.__all__)} == exc.BY_CODE


def test_claim_names_a_token_chose_are_never_interned():
    # Since CPython 3.12 an interned str is immortal: if names taken from tokens were interned, a
    # stream of verify=False decodes with made-up names would grow the process for good. sys.intern
    # of an equal, fresh string returns the object already interned, if there is one.
    name = "n" + uuid.uuid4().hex[:12]
    token = hs256({"alg": "HS256"}, {name: 1, "exp": NOW + 60})
    for _ in range(2):  # the second decode takes the name from the cache
        claims = HS.decode(token, verify=False)
        chosen, registered = (next(k for k in claims if k == n) for n in (name, "exp"))
        assert sys.intern("".join(list(name))) is not chosen
        # The control: the registered names are interned (a fixed set), and this way of asking sees it.
        assert sys.intern("".join(list("exp"))) is registered
