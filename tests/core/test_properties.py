"""Property: whatever a correctly signed token carries, the core answers with a result or a JWTError.

A token minted by another service that shares the key is still input.  Hypothesis
writes the payload's JSON text itself (so it can hold what ``json.dumps`` never
writes: 400-digit decimals, numbers beyond float range, lone-surrogate escapes,
duplicate names, deep nesting), signs it with the key, and sends it through every
entry point of the core: ``decode`` with and without simplejwt's requirements, the
bound decoder, an unverified decode, a codec with audience and issuer, and
``refresh`` with and without rotation.  Nothing may escape but a ``JWTError``; a
refresh that succeeds must mint tokens the same codec accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from simplejwt_rs import Codec
from simplejwt_rs import exceptions as exc

from . import keys

NOW = int(time.time())
SECRET = keys.HMAC_SECRET.encode()
EXAMPLES = int(os.environ.get("CORE_PROPERTY_EXAMPLES", "2000"))

REGISTERED = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti", "token_type", "user_id", "family")

plain = Codec("HS256", SECRET)
strict = Codec("HS256", SECRET, audience=["api", "web"], issuer="me", leeway=5)
access_decoder = plain.decoder(token_type="access", jti_claim="jti", require_exp=True)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload_json: str) -> str:
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload_json.encode("utf-8", "surrogatepass"))
    tag = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(tag)}"


# ---- JSON text, written by hand so every literal JSON allows can appear --------------------------

numbers = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    # Decimals without an exponent, up to 400 digits either side of the point.
    st.from_regex(r"-?(0|[1-9][0-9]{0,400})(\.[0-9]{1,400})?", fullmatch=True),
    # With an exponent, in and far beyond float range.
    st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?[eE][+-]?[0-9]{1,4}", fullmatch=True),
    st.sampled_from([str(NOW), str(NOW + 3600), str(NOW - 3600), "1e308", "1e309", "-1e309", "2e-400", "-0", "0.0"]),
)

strings = st.one_of(
    st.text().map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text().map(json.dumps),
    # Escapes json.dumps does not write for ordinary text: lone and paired surrogates, odd escapes.
    st.sampled_from(['"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\/"', '"access"', '"refresh"']),
    st.sampled_from(['"api"', '"me"', '"1"', '""']),
)

scalars = st.one_of(st.sampled_from(["null", "true", "false"]), numbers, strings)


def arrays(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")


def objects(children: st.SearchStrategy[str], names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    member = st.tuples(names, children).map(lambda kv: f"{kv[0]}:{kv[1]}")
    return st.lists(member, max_size=6).map(lambda members: "{" + ",".join(members) + "}")


names = st.one_of(st.sampled_from(REGISTERED).map(json.dumps), strings)
values = st.recursive(scalars, lambda inner: st.one_of(arrays(inner), objects(inner, names)), max_leaves=12)
# Deeper than any parser's comfort: nesting is input too.
deep = st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth)
claim_values = st.one_of(values, deep)
payloads = st.one_of(
    objects(claim_values, names),
    # Mostly well-formed simplejwt payloads with one claim replaced, so refresh gets past decoding.
    st.tuples(st.sampled_from(REGISTERED), claim_values, st.sampled_from(["access", "refresh"])).map(
        lambda t: (
            "{" + f'"token_type":"{t[2]}","exp":{NOW + 3600},"iat":{NOW},"jti":"j","user_id":1,'
            f'"aud":"api","iss":"me",{json.dumps(t[0])}:{t[1]}' + "}"
        )
    ),
    values,
)


def all_finite(value: object) -> bool:
    """No float in a decoded payload is infinite or NaN (the README: such numbers are refused)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_finite(v) for v in value)
    return True


def admit_with_claims(claims: dict) -> dict:
    return {"family": "f", "seen": len(claims)}


def calls(token):
    """(is a refresh, the call) for every entry point."""
    yield False, lambda: plain.decode(token)
    yield False, lambda: plain.decode(token, token_type="access", jti_claim="jti", require_exp=True)
    yield False, lambda: access_decoder(token)
    yield False, lambda: plain.decode(token, verify=False)
    yield False, lambda: strict.decode(token, token_type="refresh", jti_claim="jti")
    for codec in (plain, strict):
        yield True, lambda codec=codec: codec.refresh(token, lambda claims: True, access_lifetime=300)
        yield (
            True,
            lambda codec=codec: codec.refresh(
                token, admit_with_claims, access_lifetime=300, refresh_lifetime=3600, rotate=True
            ),
        )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(payloads)
@example('{"a":[' + "9" * 400 + ".5]}")
@example('{"a":{"b":' + "9" * 400 + "}}")
@example('{"exp":' + "9" * 400 + ".0}")
@example('{"a":[1e999]}')
def test_signed_input_gives_a_result_or_a_jwt_error(payload_json):
    token = sign(payload_json)
    for is_refresh, call in calls(token):
        try:
            result = call()
        except exc.JWTError:
            continue
        assert isinstance(result, dict)
        assert all_finite(result)
        if is_refresh:
            # A refresh that succeeded minted tokens its own codec accepts.
            plain.decode(result["access"], token_type="access", jti_claim="jti", require_exp=True)
            if result["refresh"] is not None:
                plain.decode(result["refresh"], token_type="refresh", jti_claim="jti", require_exp=True)
                assert result["refresh_claims"]["family"] == "f"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_token_text_gives_a_jwt_error(token):
    for _, call in calls(token):
        try:
            call()
        except exc.JWTError:
            pass


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(st.text(), st.one_of(st.text(), st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
)
def test_payload_json_is_json_dumps(payload):
    # Byte-identical to PyJWT: the payload segment is json.dumps(..., separators=(",", ":")), whatever the text.
    token = plain.encode(payload)
    segment = token.split(".")[1]
    written = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    assert written == json.dumps(payload, separators=(",", ":")).encode()
