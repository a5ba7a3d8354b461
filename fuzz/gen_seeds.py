"""Write the fuzz keys (test-only, committed) and the seed corpora.

Run from the repository root with the dev venv: ``.venv/bin/python fuzz/gen_seeds.py``.
Keys are created once (kept if present, so committed seeds stay valid); seeds are
real tokens minted by PyJWT, a second implementation, for every algorithm.

An input of either target is one selector byte followed by the token:

* ``decode``: ``selector & 0x0f`` (mod 13) picks the algorithm, ``selector >> 4``
  the variant (bit 0 audience + issuer configured, bit 1 simplejwt access-token
  requirements, bit 2 decode without verification, bit 3 leeway of 30 s).
* ``differential``: ``selector & 0x3f`` (mod 12, jsonwebtoken has no ES512) picks
  the algorithm, ``selector & 0x80`` configures audience + issuer in both, and
  ``selector & 0x40`` is JSON mode: the rest is header JSON, a newline, payload
  JSON (encoded and signed by the target), so mutations hit the JSON text.
"""

from __future__ import annotations

import hashlib
import json
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ROOT = pathlib.Path(__file__).resolve().parent
KEYS = ROOT / "keys"
ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
ALGS.append("EdDSA")
DIFF_ALGS = [a for a in ALGS if a != "ES512"]
KEY_FILE = {"RS": "rsa", "PS": "rsa", "ES256": "p256", "ES384": "p384", "ES512": "p521", "EdDSA": "ed25519"}
# The decode target's fixed clock (fuzz/src/lib.rs NOW); the differential uses the real one.
NOW = 1_700_000_000
FAR = 4_102_444_800  # 2100-01-01


def key_name(alg: str) -> str:
    return KEY_FILE.get(alg) or KEY_FILE[alg[:2]]


def make_keys() -> None:
    KEYS.mkdir(exist_ok=True)
    secret = KEYS / "hmac.key"
    if not secret.exists():
        secret.write_text("fuzz-only-hmac-secret-that-is-long-enough-for-hs512-0123456789abcdef")
    makers = {
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }
    for name, make in makers.items():
        private = KEYS / f"{name}.private.pem"
        if private.exists():
            continue
        key = make()
        private.write_bytes(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()))
        public = key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
        (KEYS / f"{name}.public.pem").write_bytes(public)


def signing_key(alg: str) -> bytes:
    if alg.startswith("HS"):
        return (KEYS / "hmac.key").read_bytes()
    return (KEYS / f"{key_name(alg)}.private.pem").read_bytes()


def payloads(now: int) -> list[tuple[dict, dict | None]]:
    """(claims, extra headers): valid, expired, not yet valid, with audience/issuer, odd but legal."""
    access = {"token_type": "access", "exp": FAR, "iat": now - 10, "jti": "0" * 32, "user_id": 7}
    return [
        (access, None),
        ({**access, "exp": now - 100}, None),
        ({**access, "nbf": FAR - 1}, {"kid": "k1"}),
        ({**access, "aud": ["api", "web"], "iss": "me", "sub": "7"}, None),
        ({"aud": "api", "iss": "me", "exp": FAR + 0.5, "x": [1.5, None, True, {"é": "\u0000"}]}, {"cty": "JWT"}),
    ]


def write(directory: pathlib.Path, selector: int, token: str) -> None:
    data = bytes([selector]) + token.encode()
    (directory / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def main() -> None:
    make_keys()
    for target in ("decode", "differential"):
        directory = ROOT / "corpus" / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
    for index, alg in enumerate(ALGS):
        for n, (claims, headers) in enumerate(payloads(NOW)):
            token = jwt.encode(claims, signing_key(alg), algorithm=alg, headers=headers)
            # Vary the variant bits across seeds so every code path starts from a valid token.
            write(ROOT / "corpus" / "decode", index | ((n * 3) % 16) << 4, token)
    for index, alg in enumerate(DIFF_ALGS):
        for n, (claims, headers) in enumerate(payloads(NOW)):
            token = jwt.encode(claims, signing_key(alg), algorithm=alg, headers=headers)
            write(ROOT / "corpus" / "differential", index | (0x80 if n % 2 else 0), token)
            header = json.dumps({"alg": alg, "typ": "JWT", **(headers or {})}, separators=(",", ":"))
            raw = header + "\n" + json.dumps(claims, separators=(",", ":"))
            write(ROOT / "corpus" / "differential", index | 0x40 | (0x80 if n % 2 else 0), raw)


if __name__ == "__main__":
    main()
