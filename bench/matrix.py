"""The peers' matrix, as ryjwt publishes it: token size x algorithm, ours, ryjwt and PyJWT in one run.

Sizes: a small token (simplejwt's access payload), a typical ~660-byte one and a ~4 KB one (the
length of the HS256 token; a padding claim makes up the difference).  Algorithms: HS256/384/512,
RS256 with 2048-, 3072- and 4096-bit keys, ES256/384/512 and EdDSA.  Each cell is encode and decode
(decode with the access-token checks, as in bench/core.py), timed round-robin across the three
libraries; the ratio is ryjwt's time over ours in the same round, median over rounds (> 1: ours
faster).  Every library verifies the others' tokens first.  Times are each thread's CPU time
(`BENCH_MATRIX_CLOCK=wall` for the wall clock), rounds `BENCH_MATRIX_ROUNDS` (11) of
`BENCH_MATRIX_SAMPLE_SECONDS` (0.04) per case; the JSON records the load average at the start and end.

    .venv-bench/bin/python bench/matrix.py      (writes docs/benchmarks/matrix.json)
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, machine, write_json  # noqa: E402
from core import OURS, Keys, decode_case, encode_case, interop, ours, payload, pyjwt, ryjwt_lib  # noqa: E402

# (row name, the algorithm, how its key is made)
ROWS = (
    ("HS256", "HS256", None),
    ("HS384", "HS384", None),
    ("HS512", "HS512", None),
    ("RS256 2048", "RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ("RS256 3072", "RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072)),
    ("RS256 4096", "RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=4096)),
    ("ES256", "ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
    ("ES384", "ES384", lambda: ec.generate_private_key(ec.SECP384R1())),
    ("ES512", "ES512", lambda: ec.generate_private_key(ec.SECP521R1())),
    ("EdDSA", "EdDSA", ed25519.Ed25519PrivateKey.generate),
)
SIZES = {"small": None, "typical": 660, "4 KB": 4096}
# Over 64 bytes: ryjwt refuses an HS512 secret shorter than the hash (RFC 7518 §3.2).
SECRET = "bench-matrix-secret-0123456789abcdef-0123456789abcdef-0123456789ab"
LIBS = (ours, ryjwt_lib, pyjwt)
ROUNDS = int(os.environ.get("BENCH_MATRIX_ROUNDS", "11"))
SAMPLE_SECONDS = float(os.environ.get("BENCH_MATRIX_SAMPLE_SECONDS", "0.04"))
# Every call here is CPU-bound in one thread: its CPU time (time.thread_time) leaves out the time the
# thread waited for a core, which on this shared 2-core machine swung wall-clock cells by 2-7x
# (load average ~9). BENCH_MATRIX_CLOCK=wall times by the wall clock (perf_counter) instead.
CLOCK_NAME = os.environ.get("BENCH_MATRIX_CLOCK", "cpu")
CLOCK = time.perf_counter if CLOCK_NAME == "wall" else time.thread_time


def keys_for(make) -> Keys:
    if make is None:
        return Keys(SECRET, SECRET, SECRET, SECRET)
    from cryptography.hazmat.primitives import serialization as ser

    private = make()
    private_pem = private.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()
    return Keys(private_pem, public_pem, private, private.public_key())


def sized_payload(target: int | None) -> dict[str, Any]:
    """simplejwt's access payload, padded (a `pad` claim) until the HS256 token is `target` bytes long."""
    from simplejwt_rs import Codec

    claims = payload()
    if target is None:
        return claims
    codec = Codec("HS256", SECRET)
    claims["pad"] = ""
    while len(codec.encode(claims)) < target:
        missing = target - len(codec.encode(claims))
        claims["pad"] += "x" * max(1, missing * 3 // 4)
    return claims


def main() -> None:
    result: dict[str, Any] = {"machine": machine(), "clock": CLOCK_NAME, "rounds": ROUNDS, "sizes": {}, "rows": {}}
    from simplejwt_rs import Codec

    hs = Codec("HS256", SECRET)
    payloads = {size: sized_payload(target) for size, target in SIZES.items()}
    result["sizes"] = {size: len(hs.encode(claims)) for size, claims in payloads.items()}
    for row, alg, make in ROWS:
        keys = keys_for(make)
        libs = [factory(alg, keys) for factory in LIBS]
        result["rows"][row] = {}
        for size, claims in payloads.items():
            _, problems = interop(alg, libs, claims)
            if problems:
                print(f"  {row} {size}: {problems}", file=sys.stderr)
            timed = [lib for lib in libs if lib.name not in problems]
            token = next(lib for lib in libs if lib.name == "PyJWT").encode(dict(claims))
            cell: dict[str, Any] = {"not_timed": problems}
            for op in ("encode", "decode"):
                cases = [
                    decode_case(lib, token, CLOCK) if op == "decode" else encode_case(lib, claims, CLOCK)
                    for lib in timed
                ]
                cell[op] = compare(cases, OURS, "PyJWT", rounds=ROUNDS, target=SAMPLE_SECONDS)
            result["rows"][row][size] = cell
            ry = {op: cell[op].get("ryjwt", {}).get("ours_speed_paired") for op in ("encode", "decode")}
            print(f"{row:11} {size:8} ours vs ryjwt: encode x{ry['encode']}, decode x{ry['decode']}", file=sys.stderr)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    write_json("matrix", result)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
