"""A tight HS256 loop to run under a profiler, ours or ryjwt's (the fastest peer), with the bench payload.

    perf record -F 2999 -g -o ours.data -- .venv-bench/bin/python bench/profile_loop.py ours decode 2000000
    perf report -i ours.data --no-children --sort dso,symbol -g none
    valgrind --tool=callgrind .venv-bench/bin/python bench/profile_loop.py ours decode 20000

Operations: ``decode`` (ours: ``Codec.decode`` with simplejwt's access-token
checks; ryjwt: ``SecretKey.decode``), ``decoder`` (ours only: the bound
decoder ``AccessToken`` uses), ``encode``.  Each loop calls the library
directly, with no Python wrapper around the call, so two runs of different
lengths differ by exactly the calls (see bench/instructions.py).
See docs/benchmarks/profile.md for what the profiles showed.
"""

from __future__ import annotations

import os
import sys

SECRET = "bench-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef"
# Fixed, so every run (and every valgrind run) does the same work: issued in the past, expiring in 2096,
# ten digits each like a real token's.
PAYLOAD = {"token_type": "access", "exp": 4_000_000_000, "iat": 1_700_000_000, "jti": "0" * 32, "user_id": "42"}
# PROFILE_PAD=n: a `pad` claim of n characters, for the larger tokens of bench/matrix.py (345: ~660 bytes, 2920: ~4 KB).
if int(os.environ.get("PROFILE_PAD", "0")):
    PAYLOAD["pad"] = "x" * int(os.environ["PROFILE_PAD"])


def ours(op: str, n: int) -> None:
    from simplejwt_rs import Codec

    codec = Codec("HS256", SECRET)
    token = codec.encode(PAYLOAD)
    payload = PAYLOAD
    if op == "decode":
        decode = codec.decode
        for _ in range(n):
            decode(token, token_type="access", jti_claim="jti", require_exp=True)
    elif op == "decoder":
        decoder = codec.decoder(token_type="access", jti_claim="jti", require_exp=True)
        for _ in range(n):
            decoder(token)
    elif op == "encode":
        encode = codec.encode
        for _ in range(n):
            encode(payload)
    else:
        raise SystemExit(f"op must be decode, decoder or encode, not {op!r}")


def ryjwt(op: str, n: int) -> None:
    import ryjwt

    key = ryjwt.SecretKey(SECRET, algorithms=["HS256"])
    token = key.encode(PAYLOAD)
    payload = PAYLOAD
    if op == "decode":
        decode = key.decode
        for _ in range(n):
            decode(token)
    elif op == "encode":
        encode = key.encode
        for _ in range(n):
            encode(payload)
    else:
        raise SystemExit(f"op must be decode or encode for ryjwt, not {op!r}")


def empty(op: str, n: int) -> None:
    """The loop alone, for reference."""
    for _ in range(n):
        pass


def main(lib: str, op: str, n: int) -> None:
    libs = {"ours": ours, "ryjwt": ryjwt, "empty": empty}
    if lib not in libs:
        raise SystemExit(f"lib must be one of {sorted(libs)}, not {lib!r}")
    libs[lib](op, n)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
