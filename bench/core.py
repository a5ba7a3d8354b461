"""Core table: encode and decode (signature + the full simplejwt access-token checks), every library side by side.

Each library first has to verify every other library's token (and produce one
the others verify); one that does not is reported, not dropped.  Then each
(algorithm, operation) is timed round-robin across the libraries, and the
medians are compared with PyJWT measured in the same run.

    .venv-bench/bin/python bench/core.py      (writes docs/benchmarks/core.json)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Case, compare, machine, write_json  # noqa: E402

ALGORITHMS = ("HS256", "RS256", "ES256", "ES512", "EdDSA")
SECRET = "bench-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef"
RSA_FLOOR = Path(__file__).resolve().parent.parent / "target" / "release" / "rsa-floor"
BASELINE = "PyJWT"
CORE_ROUNDS = int(os.environ.get("BENCH_CORE_ROUNDS", "21"))
CORE_SAMPLE_SECONDS = float(os.environ.get("BENCH_CORE_SAMPLE_SECONDS", "0.04"))
OURS = "simplejwt-rs"


def payload() -> dict[str, Any]:
    """What simplejwt 5.5 hands PyJWT for an access token."""
    now = int(time.time())
    return {"token_type": "access", "exp": now + 3600, "iat": now, "jti": uuid.uuid4().hex, "user_id": "42"}


def check(claims: dict[str, Any]) -> dict[str, Any]:
    """What simplejwt checks after PyJWT: exp present (the library checked its value), token type, jti."""
    if "exp" not in claims or claims.get("token_type") != "access" or "jti" not in claims:
        raise ValueError(f"claims failed the access-token checks: {claims!r}")
    return claims


@dataclass
class Keys:
    private_pem: str
    public_pem: str
    private_obj: Any
    public_obj: Any


def make_keys() -> dict[str, Keys]:
    def pem_pair(private: Any) -> Keys:
        private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public = private.public_key()
        public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return Keys(private_pem, public_pem, private, public)

    return {
        "HS256": Keys(SECRET, SECRET, SECRET, SECRET),
        "RS256": pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "ES256": pem_pair(ec.generate_private_key(ec.SECP256R1())),
        "ES512": pem_pair(ec.generate_private_key(ec.SECP521R1())),
        "EdDSA": pem_pair(ed25519.Ed25519PrivateKey.generate()),
    }


@dataclass
class Lib:
    name: str
    encode: Callable[[dict[str, Any]], str]
    decode: Callable[[str], dict[str, Any]]
    note: str = ""


def ours(alg: str, keys: Keys) -> Lib:
    from simplejwt_rs import Codec

    codec = Codec(alg, keys.private_pem, keys.public_pem)
    # The per-request API: requirements bound once, as simplejwt_rs.tokens.AccessToken uses it.
    decode = codec.decoder(token_type="access", jti_claim="jti", require_exp=True)
    return Lib(OURS, codec.encode, decode, "Codec.decoder(token_type='access', jti_claim='jti', require_exp=True)")


def pyjwt(alg: str, keys: Keys) -> Lib:
    import jwt

    algorithm = jwt.get_algorithm_by_name(alg)
    # Prepared keys, as simplejwt 5.5's TokenBackend keeps them.
    signing = algorithm.prepare_key(keys.private_pem)
    verifying = algorithm.prepare_key(keys.public_pem)
    algorithms = [alg]
    options = {"require": ["exp"]}

    def encode(claims: dict[str, Any]) -> str:
        return jwt.encode(claims, signing, algorithm=alg)

    def decode(token: str) -> dict[str, Any]:
        return check(jwt.decode(token, verifying, algorithms=algorithms, options=options))

    return Lib("PyJWT", encode, decode, "jwt.decode(prepared key, require exp) + checks in Python")


def ryjwt_lib(alg: str, keys: Keys) -> Lib:
    import ryjwt

    if alg.startswith("HS"):
        signer = verifier = ryjwt.SecretKey(keys.private_pem, algorithms=[alg])
    else:
        signer = ryjwt.PrivateKey(keys.private_pem, algorithms=[alg])
        verifier = ryjwt.PublicKey(keys.public_pem, algorithms=[alg])

    def decode(token: str) -> dict[str, Any]:
        return check(verifier.decode(token))

    return Lib("ryjwt", signer.encode, decode, "SecretKey/PublicKey.decode + checks in Python")


def oxyjwt_lib(alg: str, keys: Keys) -> Lib:
    import oxyjwt

    if alg.startswith("HS"):
        signing, verifying = oxyjwt.EncodingKey.from_secret(keys.private_pem), oxyjwt.DecodingKey.from_secret(SECRET)
    else:
        kind = {"RS": "rsa", "ES": "ec", "Ed": "ed"}[alg[:2]]
        signing = getattr(oxyjwt.EncodingKey, f"from_{kind}_pem")(keys.private_pem)
        verifying = getattr(oxyjwt.DecodingKey, f"from_{kind}_pem")(keys.public_pem)
    algorithms = [alg]
    options = {"require": ["exp"]}

    def encode(claims: dict[str, Any]) -> str:
        return oxyjwt.encode(claims, signing, alg)

    def decode(token: str) -> dict[str, Any]:
        return check(oxyjwt.decode(token, verifying, algorithms=algorithms, options=options))

    return Lib("oxyjwt", encode, decode, "EncodingKey/DecodingKey, oxyjwt.decode(require exp) + checks in Python")


def pyjwt_rs(alg: str, keys: Keys) -> Lib:
    import jwt_rs

    algorithms = [alg]
    options = {"require": ["exp"]}

    def encode(claims: dict[str, Any]) -> str:
        return jwt_rs.encode(claims, keys.private_pem, algorithm=alg)

    def decode(token: str) -> dict[str, Any]:
        return check(jwt_rs.decode(token, keys.public_pem, algorithms=algorithms, options=options))

    return Lib("pyjwt-rs", encode, decode, "jwt_rs.encode/decode(PEM, require exp) + checks in Python")


def webtoken_lib(alg: str, keys: Keys) -> Lib:
    import webtoken
    from webtoken import webtoken as impl

    algorithms = [alg]
    options = {"require": ["exp"]}

    def encode(claims: dict[str, Any]) -> str:
        # webtoken 0.5.0's public encode() prints "fpoo" on every call; time the native call it makes.
        return impl.rust_lib.encode(claims, keys.private_pem, alg, None, True, False)

    def decode(token: str) -> dict[str, Any]:
        return check(webtoken.decode(token, keys.public_pem, algorithms=algorithms, options=options))

    return Lib("webtoken", encode, decode, "native encode (public encode() prints on every call); decode + checks")


FACTORIES = (ours, pyjwt, ryjwt_lib, oxyjwt_lib, pyjwt_rs, webtoken_lib)


def short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text[:160]


def interop(alg: str, libs: list[Lib], claims: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every library decodes every library's token.  Returns the matrix and each library's problems."""
    tokens: dict[str, str] = {}
    problems: dict[str, str] = {}
    for lib in libs:
        try:
            tokens[lib.name] = lib.encode(dict(claims))
        except Exception as exc:  # noqa: BLE001 (reported, not hidden)
            problems[lib.name] = f"encode failed: {short(exc)}"
    matrix: dict[str, dict[str, str]] = {}
    for verifier in libs:
        row = matrix[verifier.name] = {}
        for issuer, token in tokens.items():
            try:
                got = verifier.decode(token)
                row[issuer] = "ok" if got == claims else f"claims differ: {got!r}"
            except Exception as exc:  # noqa: BLE001
                row[issuer] = short(exc)
    # Drop the worst offender until every remaining library verifies every remaining one's tokens.
    healthy = [lib.name for lib in libs if lib.name not in problems]
    while True:
        faults = {
            name: [(v, i) for v in healthy for i in healthy if (v == name or i == name) and matrix[v][i] != "ok"]
            for name in healthy
        }
        worst = max(healthy, key=lambda name: len(faults[name]), default=None)
        if worst is None or not faults[worst]:
            break
        bad_in = [f"{i} ({matrix[worst][i]})" for v, i in faults[worst] if v == worst]
        bad_out = [f"{v} ({matrix[v][worst]})" for v, i in faults[worst] if i == worst and v != worst]
        problems[worst] = "; ".join(
            part
            for part in (
                "cannot verify tokens from " + ", ".join(bad_in) if bad_in else "",
                "its tokens fail in " + ", ".join(bad_out) if bad_out else "",
            )
            if part
        )
        healthy.remove(worst)
    return {"matrix": matrix}, problems


def encode_case(lib: Lib, claims: dict[str, Any], clock: Callable[[], float] = time.perf_counter) -> Case:
    encode = lib.encode

    def run(n: int) -> None:
        for _ in range(n):
            encode(claims)

    return Case(lib.name, run, clock=clock)


def decode_case(lib: Lib, token: str, clock: Callable[[], float] = time.perf_counter) -> Case:
    decode = lib.decode

    def run(n: int) -> None:
        for _ in range(n):
            decode(token)

    return Case(lib.name, run, clock=clock)


def main() -> None:
    keys = make_keys()
    result: dict[str, Any] = {"machine": machine(), "baseline": BASELINE, "algorithms": {}}
    for alg in ALGORITHMS:
        claims = payload()
        libs: list[Lib] = []
        unavailable: dict[str, str] = {}
        for factory in FACTORIES:
            try:
                libs.append(factory(alg, keys[alg]))
            except Exception as exc:  # noqa: BLE001
                name = factory.__name__.replace("_lib", "").replace("_", "-")
                name = {"ours": OURS, "pyjwt": "PyJWT"}.get(name, name)
                unavailable[name] = f"cannot be set up for {alg}: {short(exc)}"
        report, problems = interop(alg, libs, claims)
        problems.update(unavailable)
        timed = [lib for lib in libs if lib.name not in problems]
        token = next(lib for lib in libs if lib.name == BASELINE).encode(dict(claims))

        notes = {lib.name: lib.note for lib in libs}
        entry: dict[str, Any] = {"interop": report, "not_timed": problems, "notes": notes}
        for op in ("decode", "encode"):
            cases = [decode_case(lib, token) if op == "decode" else encode_case(lib, claims) for lib in timed]
            print(f"{alg} {op}: {', '.join(c.key for c in cases)}", file=sys.stderr)
            # More, shorter rounds than the default (the same time in all): the paired ratios
            # need many rounds, and µs calls need no long samples.
            rows = compare(cases, OURS, BASELINE, rounds=CORE_ROUNDS, target=CORE_SAMPLE_SECONDS)
            entry[op] = rows
        result["algorithms"][alg] = entry
        if alg == "RS256" and RSA_FLOOR.exists():
            # The same crypto library with nothing around it, measured right after the RS256 rounds.
            floor = subprocess.run([str(RSA_FLOOR)], capture_output=True, text=True, check=True).stdout
            result["rsa_floor"] = json.loads(floor)
        for name, problem in problems.items():
            print(f"  {alg}: {name} not timed: {problem}", file=sys.stderr)
    write_json("core", result)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
