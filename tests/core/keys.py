"""Keys for every algorithm, made once per test session with `cryptography`."""

from __future__ import annotations

import functools
import json

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

HMAC_SECRET = "a-test-secret-that-is-longer-than-sixty-four-bytes-for-hs512-use-0123456789"

HMAC = ("HS256", "HS384", "HS512")
RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
ASYMMETRIC = (*RSA, *EC, "EdDSA")
ALL = (*HMAC, *ASYMMETRIC)
# Deterministic signatures: the encoded token must equal PyJWT's byte for byte.
DETERMINISTIC = (*HMAC, "RS256", "RS384", "RS512", "EdDSA")


@functools.cache
def private_key(alg: str):
    if alg in RSA:
        return _rsa()
    if alg in EC:
        return ec.generate_private_key(EC[alg]())
    return ed25519.Ed25519PrivateKey.generate()


@functools.cache
def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


#: JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1): never published.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def pkcs8_pem(key) -> str:
    """A private key object as PKCS#8 PEM."""
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()).decode()


def spki_pem(key) -> str:
    """The public half of a private key object as SubjectPublicKeyInfo PEM."""
    return key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(alg: str, fmt: str = "pkcs8") -> str:
    formats = {
        "pkcs8": ser.PrivateFormat.PKCS8,
        "pkcs1": ser.PrivateFormat.TraditionalOpenSSL,  # PKCS#1 for RSA
        "sec1": ser.PrivateFormat.TraditionalOpenSSL,  # SEC1 for EC
    }
    return private_key(alg).private_bytes(ser.Encoding.PEM, formats[fmt], ser.NoEncryption()).decode()


def public_pem(alg: str, fmt: str = "spki") -> str:
    formats = {"spki": ser.PublicFormat.SubjectPublicKeyInfo, "pkcs1": ser.PublicFormat.PKCS1}
    return private_key(alg).public_key().public_bytes(ser.Encoding.PEM, formats[fmt]).decode()


def jwk(alg: str, private: bool) -> dict:
    key = private_key(alg)
    key = key if private else key.public_key()
    algorithm = RSAAlgorithm if alg in RSA else ECAlgorithm if alg in EC else OKPAlgorithm
    return json.loads(algorithm.to_jwk(key))


def signing_key(alg: str) -> str:
    return HMAC_SECRET if alg in HMAC else private_pem(alg)


def verifying_key(alg: str) -> str:
    return HMAC_SECRET if alg in HMAC else public_pem(alg)
