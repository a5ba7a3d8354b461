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
    return sign_bytes(payload_json.encode("utf-8", "surrogatepass"))


def sign_bytes(payload: bytes) -> str:
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload)
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


# ---- the payload scanner against json.loads --------------------------------------------------------
# src/python/json_in.rs reads the payload's top-level object itself (names, plain strings, plain
# integers) and hands the rest to jiter.  Whatever JSON text a sibling service signs, the claims must
# be what json.loads makes of it, or the token is refused where Python's reading is not a JSON object
# or holds what the README says we refuse (a number beyond float range, NaN or Infinity, a lone
# surrogate).

space = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n  "])


def spaced(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(space, strategy, space).map("".join)


def spaced_objects(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    member = st.tuples(spaced(names), spaced(children)).map(lambda kv: f"{kv[0]}:{kv[1]}")
    return st.tuples(space, st.lists(member, max_size=6), space).map(
        lambda t: t[0] + "{" + (",".join(t[1]) if t[1] else t[0]) + "}" + t[2]
    )


# Literals json.loads takes and JSON (and we) do not, and bytes that are not UTF-8 inside a string.
odd_values = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "01", "-", "1.", ".5", "1e", "+1", "0x10", "tru", "nul"]),
    st.binary(min_size=1, max_size=4).map(lambda b: '"' + b.decode("latin-1") + '"'),
)
scanned_values = st.one_of(values, odd_values)
JSON_BYTES = '{}[]":,\\ \t\n\x0b\x0c\x00\x1f\x7f0123456789eE.+-tfnulé"'


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """A text with one character deleted, inserted or replaced, or cut short."""
    text = draw(texts)
    if not text:
        return text
    at = draw(st.integers(min_value=0, max_value=len(text) - 1))
    edit = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
    char = draw(st.sampled_from(JSON_BYTES))
    if edit == "delete":
        return text[:at] + text[at + 1 :]
    if edit == "insert":
        return text[:at] + char + text[at:]
    if edit == "replace":
        return text[:at] + char + text[at + 1 :]
    return text[:at]


scanner_inputs = st.one_of(payloads, spaced_objects(scanned_values), mutated(payloads), mutated(spaced_objects(values)))


def same(ours: object, theirs: object) -> bool:
    """Equal with equal types all the way down (1 is not 1.0, -0.0 is not 0.0)."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return ours.keys() == theirs.keys() and all(same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(map(same, ours, theirs))
    if isinstance(ours, float):
        return ours == theirs and math.copysign(1, ours) == math.copysign(1, theirs)
    return ours == theirs


def depth(value: object) -> int:
    """How many arrays/objects deep `value` nests (without recursion: it may be thousands)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def refused_by_us(value: object) -> bool:
    """What the README says we refuse although json.loads reads it: non-finite numbers, lone
    surrogates, claim values nested more than 200 deep (the payload object itself is one more)."""
    return depth(value) > 201 or has_refused_scalar(value)


def has_refused_scalar(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(has_refused_scalar(k) or has_refused_scalar(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_refused_scalar(v) for v in value)
    return False


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(scanner_inputs)
@example(' {"a" : 1 , "b":[ 2 ] }\n')
@example('{"a":1,}')
@example('{"a":1}x')
@example('{"a":"\\u00e9\\n","b":"é"}')
@example('{"a":"x\x01"}')
@example('{"exp":123456789012345678,"iat":1234567890123456789,"n":-99999999999999999999}')
@example('{"a":-0,"b":-0.0,"c":0,"d":10000000,"e":12345678.5}')
def test_payload_is_what_json_loads_reads(text):
    raw = text.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
        theirs = json.loads(text)
        # Every name and value, those a duplicate name overwrote too: each object as one flat list.
        everything = json.loads(text, object_pairs_hook=lambda pairs: [x for pair in pairs for x in pair])
    except (ValueError, RecursionError):  # not UTF-8 (an encoded surrogate), not JSON, or too deep for Python
        theirs = everything = None
    try:
        ours = plain.decode(sign_bytes(raw), verify=False)
    except exc.InvalidTokenError:
        ours = None
    if not isinstance(theirs, dict):
        assert ours is None, f"{text!r}: json.loads gives {theirs!r}, we read {ours!r}"
    elif refused_by_us(everything):
        assert ours is None or same(ours, theirs), f"{text!r}: {ours!r}"
    else:
        assert ours is not None and same(ours, theirs), f"{text!r}: json.loads {theirs!r}, ours {ours!r}"
