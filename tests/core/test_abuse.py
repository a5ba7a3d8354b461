"""Abuse cases test_hostile.py leaves out: duplicate names, NaN/Infinity, NUL and
non-ASCII bytes, ``kid`` path tricks, ``jku``/``x5u``/``jwk`` never followed,
multi-megabyte tokens refused before parsing, odd numbers in time claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from simplejwt_rs import DEFAULT_MAX_TOKEN_BYTES, Codec, decode_header
from simplejwt_rs import exceptions as exc

from . import keys

NOW = int(time.time())
SECRET = keys.HMAC_SECRET.encode()
HS = Codec("HS256", keys.HMAC_SECRET)


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header: str, payload: str | bytes, secret: bytes = SECRET) -> str:
    """A correctly signed token around raw JSON text, so only the text can fail."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


H = '{"alg":"HS256","typ":"JWT"}'


def pyjwt_decode(token: str) -> dict:
    return jwt.decode(token, keys.HMAC_SECRET, algorithms=["HS256"], options={"verify_aud": False})


# ---- duplicate member names -------------------------------------------------------------------
# RFC 7519 §4 lets a parser reject duplicates or keep the last (as ECMAScript JSON.parse does).
# We keep the last, like Python's json module and therefore PyJWT: one token, one meaning,
# whichever of the two libraries reads it.


def test_duplicate_claims_last_one_wins():
    token = hs256(H, '{"user_id":1,"user_id":2,"role":"user","role":"admin"}')
    assert HS.decode(token) == {"user_id": 2, "role": "admin"} == pyjwt_decode(token)


def test_duplicate_exp_last_one_decides():
    fresh_last = hs256(H, f'{{"exp":{NOW - 100},"exp":{NOW + 3600}}}')
    assert HS.decode(fresh_last) == {"exp": NOW + 3600} == pyjwt_decode(fresh_last)
    expired_last = hs256(H, f'{{"exp":{NOW + 3600},"exp":{NOW - 100}}}')
    with pytest.raises(exc.ExpiredTokenError):
        HS.decode(expired_last)
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwt_decode(expired_last)


def test_duplicate_token_type_last_one_decides():
    token = hs256(H, f'{{"token_type":"refresh","token_type":"access","jti":"j","exp":{NOW + 3600}}}')
    assert HS.decode(token, token_type="access", jti_claim="jti", require_exp=True)["token_type"] == "access"
    with pytest.raises(exc.WrongTokenTypeError):
        HS.decode(token, token_type="refresh")


def test_duplicate_alg_header_last_one_wins():
    # The last alg is the one checked, so "none" can't hide behind a first HS256 (or the reverse).
    with pytest.raises(exc.InvalidAlgorithmError):
        HS.decode(hs256('{"alg":"HS256","alg":"none"}', '{"a":1}'))
    with pytest.raises(jwt.InvalidAlgorithmError):
        pyjwt_decode(hs256('{"alg":"HS256","alg":"none"}', '{"a":1}'))
    token = hs256('{"alg":"none","alg":"HS256"}', '{"a":1}')
    assert HS.decode(token) == {"a": 1} == pyjwt_decode(token)


# ---- NaN and Infinity ---------------------------------------------------------------------------
# Not JSON (RFC 8259 §6), though Python's json module reads them: refused as malformed.


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "nan", "inf", "+1", "0x10", "01", "1."])
@pytest.mark.parametrize("claim", ["exp", "nbf", "iat", "user_id"])
def test_non_json_numbers_in_the_payload(literal, claim):
    with pytest.raises(exc.InvalidTokenError) as err:
        HS.decode(hs256(H, f'{{"{claim}":{literal}}}'))
    assert type(err.value) is exc.InvalidTokenError
    # Refused even unverified: it's the JSON, not the claim rules.
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256(H, f'{{"{claim}":{literal}}}'), verify=False)


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_non_json_numbers_in_the_header(literal):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256(f'{{"alg":"HS256","x":{literal}}}', '{"a":1}'))


def test_non_finite_floats_are_never_encoded():
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="JSON compliant"):
            HS.encode({"exp": value})


# ---- NUL bytes and non-ASCII ------------------------------------------------------------------


def test_escaped_nul_and_non_ascii_claims_round_trip():
    claims = {"name": "Zoë 张伟 😀", "nul": "a\x00b", "key\x00": 1, "ctl": "\x01\x1f\x7f", "rtl": "\u202e"}
    token = HS.encode(claims)
    assert token.isascii()
    assert HS.decode(token) == claims == pyjwt_decode(token)
    assert HS.decode(hs256(H, '{"a":"\\u0000","\\u00e9":"\\ud83d\\ude00"}')) == {"a": "\x00", "é": "😀"}


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a":"\x00"}',  # raw control characters are not allowed in JSON strings
        b'{"a":"\n"}',
        b'{"a\x00":1}',
        b'{"a":1}\x00',
        b'\x00{"a":1}',
        b'{"a":"\xff"}',  # not UTF-8
        b'{"a":"\xc3"}',  # truncated UTF-8
        b'{"a":"\xed\xa0\x80"}',  # an encoded surrogate is not UTF-8
        b'{"a":"\\ud800"}',  # a lone surrogate escape is not a string
        b'{"a":"\\u00"}',
        b'{"a":"\\x41"}',
    ],
)
def test_nul_control_and_invalid_utf8_payloads_are_malformed(payload):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256(H, payload))


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJIUzI1NiJ9\x00.e30.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30\x00.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30.\x00",
        "éyJhbGciOiJIUzI1NiJ9.e30.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30.e30\u200b",  # zero-width space
        "eyJhbGciOiJIUzI1NiJ9 .e30.e30",
        "ｅｙＪ.e30.e30",  # fullwidth letters
        b"eyJhbGciOiJIUzI1NiJ9.e30.\xff\xfe",
    ],
)
def test_nul_and_non_ascii_in_the_token_text(token):
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(token)


def test_non_ascii_and_nul_in_the_header():
    for kid in ("clé-😀", "k\x00id", "\u202egnp.exe"):
        token = HS.encode({"a": 1}, {"kid": kid})
        assert decode_header(token)["kid"] == kid
        assert HS.decode(token) == {"a": 1}
    with pytest.raises(exc.InvalidTokenError):
        HS.decode(hs256(b'{"alg":"HS256","kid":"\x00"}'.decode(), '{"a":1}'))
    with pytest.raises(exc.InvalidAlgorithmError):
        HS.decode(hs256('{"alg":"HS256\\u0000"}', '{"a":1}'))


# ---- kid path tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../../../etc/passwd",
        "/dev/zero",
        "/dev/null",
        "file:///etc/passwd",
        "..\\..\\windows\\win.ini",
        "' OR '1'='1",
        "$(touch /tmp/pwned)",
        "|cat /etc/passwd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ],
)
def test_kid_is_a_plain_string(kid):
    token = HS.encode({"a": 1}, {"kid": kid})
    assert decode_header(token)["kid"] == kid
    assert HS.decode(token) == {"a": 1}


def test_kid_never_loads_a_key_from_a_file(tmp_path):
    # Were kid a path, these tokens (signed with the file's contents) would verify.
    key_file = tmp_path / "attacker.key"
    key_file.write_bytes(b"attacker-chosen-secret")
    for kid, secret in ((str(key_file), b"attacker-chosen-secret"), ("/dev/null", b""), ("../../dev/null", b"")):
        token = hs256(json.dumps({"alg": "HS256", "kid": kid}), '{"admin":true}', secret=secret)
        with pytest.raises(exc.InvalidSignatureError):
            HS.decode(token)


# ---- jku / x5u / jwk are never followed -----------------------------------------------------


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []
    body = b"{}"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def key_server():
    """A JWKS server on 127.0.0.1 serving the attacker's key and counting requests."""
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    handler = type("Handler", (_CountingHandler,), {"requests": []})
    public_jwk = json.loads(RSAAlgorithm.to_jwk(attacker.public_key()))
    handler.body = json.dumps({"keys": [{**public_jwk, "kid": "evil", "use": "sig", "alg": "RS256"}]}).encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", attacker, public_jwk, handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_jku_x5u_jwk_headers_are_never_followed(key_server):
    base, attacker, attacker_jwk, requests = key_server
    # The server works: a request to it would be seen.
    import urllib.request

    with urllib.request.urlopen(f"{base}/probe", timeout=5) as response:
        assert json.load(response)["keys"][0]["kid"] == "evil"
    assert requests == ["/probe"]
    requests.clear()

    headers = {
        "jku": f"{base}/jwks.json",
        "x5u": f"{base}/cert.pem",
        "jwk": attacker_jwk,
        "kid": "evil",
        "x5c": ["MIIB"],
    }
    claims = {"user_id": 1, "exp": NOW + 3600}
    forged = jwt.encode(claims, attacker, algorithm="RS256", headers=headers)
    codec = Codec("RS256", keys.private_pem("RS256"))
    verify_only = Codec("RS256", None, keys.public_pem("RS256"))
    for c in (codec, verify_only):
        with pytest.raises(exc.InvalidSignatureError):
            c.decode(forged)
    # With the configured key, the same headers are harmless: verified with that key only.
    genuine = jwt.encode(claims, keys.private_pem("RS256"), algorithm="RS256", headers=headers)
    assert codec.decode(genuine) == claims
    assert verify_only.decode(genuine) == claims
    assert decode_header(genuine)["jku"] == f"{base}/jwks.json"
    time.sleep(0.2)  # anything in flight would have arrived by now
    assert requests == []


# ---- megabyte tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "!" * 5_000_000,  # not base64 at all
        "a" * 5_000_000,  # no dots
        "." * 5_000_000,  # dots only
        b64('{"alg":"none"}') + "." + "A" * 5_000_000 + ".",
        b64('{"alg":"HS256","crit":["x"]}') + ".e30." + "x" * 5_000_000,
        "[" * 5_000_000,
    ],
)
def test_megabyte_tokens_are_refused_before_any_parsing(token):
    start = time.perf_counter()
    for _ in range(10):
        with pytest.raises(exc.TokenTooLargeError) as err:
            HS.decode(token)
        # Exactly the size error: nothing about the contents was looked at.
        assert type(err.value) is exc.TokenTooLargeError
        assert err.value.code == "token_too_large"
    # Ten refusals of 5 MB: no parsing, no copying of the token.
    assert time.perf_counter() - start < 0.5
    for call in (lambda: HS.decode(token, verify=False), lambda: decode_header(token)):
        with pytest.raises(exc.TokenTooLargeError):
            call()
    with pytest.raises(exc.TokenTooLargeError):
        HS.refresh(token, lambda claims: True, access_lifetime=60)


def test_size_limit_is_the_only_reason():
    big = HS.encode({"blob": "x" * 5_000_000, "exp": NOW + 3600})
    with pytest.raises(exc.TokenTooLargeError, match=str(DEFAULT_MAX_TOKEN_BYTES)):
        HS.decode(big)
    roomy = Codec("HS256", keys.HMAC_SECRET, max_token_bytes=8_000_000)
    assert roomy.decode(big)["blob"] == "x" * 5_000_000


def test_size_limit_boundary_counts_utf8_bytes():
    limit = 200
    codec = Codec("HS256", keys.HMAC_SECRET, max_token_bytes=limit)
    # A token of exactly `limit` bytes passes; one byte more does not.
    tokens = {len(t): (n, t) for n in range(120) for t in [hs256(H, json.dumps({"a": "x" * n}, separators=(",", ":")))]}
    n, exact = tokens[limit]
    assert codec.decode(exact) == {"a": "x" * n}
    with pytest.raises(exc.TokenTooLargeError):
        codec.decode(exact + "A")
    # A str token is measured in UTF-8 bytes, not characters.
    with pytest.raises(exc.TokenTooLargeError):
        codec.decode("é" * (limit // 2 + 1))
    with pytest.raises(exc.InvalidTokenError) as err:
        codec.decode("é" * (limit // 2))
    assert type(err.value) is exc.InvalidTokenError


# ---- floats, huge and negative numbers in exp / nbf / iat ---------------------------------------


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (f'{{"exp":{NOW + 3600}.5}}', None),
        (f'{{"exp":{NOW - 1}.99}}', exc.ExpiredTokenError),
        (f'{{"exp":{NOW}}}', exc.ExpiredTokenError),  # exp <= now is expired
        ('{"exp":1e300}', None),
        ('{"exp":' + "9" * 400 + "}", None),  # an integer of 400 digits: the far future
        ('{"exp":-1e300}', exc.ExpiredTokenError),
        ('{"exp":-' + "9" * 400 + "}", exc.ExpiredTokenError),
        ('{"exp":0}', exc.ExpiredTokenError),
        ('{"exp":-0.0}', exc.ExpiredTokenError),
        ('{"exp":-1}', exc.ExpiredTokenError),
        (f'{{"nbf":{NOW + 3600}.5}}', exc.ImmatureTokenError),
        (f'{{"nbf":{NOW - 100}.5}}', None),
        ('{"nbf":-1e300}', None),
        ('{"nbf":-' + "9" * 400 + "}", None),
        ('{"nbf":1e300}', exc.ImmatureTokenError),
        ('{"nbf":' + "9" * 400 + "}", exc.ImmatureTokenError),
        ('{"iat":-5}', None),
        ('{"iat":1.5}', None),
        ('{"iat":1e300}', exc.ImmatureTokenError),
        (f'{{"iat":{NOW + 3600}}}', exc.ImmatureTokenError),
        ('{"exp":1e-300}', exc.ExpiredTokenError),
        ('{"exp":18446744073709551616}', None),  # 2**64
        ('{"exp":9223372036854775808}', None),  # 2**63
        ('{"nbf":-9223372036854775809}', None),  # -(2**63) - 1
    ],
)
def test_odd_numbers_in_time_claims(payload, error):
    token = hs256(H, payload)
    if error is None:
        assert HS.decode(token) == json.loads(payload)
    else:
        with pytest.raises(error):
            HS.decode(token)


def test_time_claims_agree_with_pyjwt_where_pyjwt_has_an_answer():
    for payload in (f'{{"exp":{NOW + 3600}.5}}', f'{{"exp":{NOW - 1}.99}}', '{"nbf":-1e10}', f'{{"nbf":{NOW + 3600}}}'):
        token = hs256(H, payload)
        try:
            theirs = pyjwt_decode(token)
        except jwt.InvalidTokenError as e:
            theirs = type(e).__name__
        try:
            ours = HS.decode(token)
        except exc.JWTError as e:
            ours = {"ExpiredTokenError": "ExpiredSignatureError", "ImmatureTokenError": "ImmatureSignatureError"}[
                type(e).__name__
            ]
        assert ours == theirs, payload
