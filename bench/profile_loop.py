"""A tight HS256 loop to run under a profiler, ours or ryjwt's (the fastest peer), with the bench payload.

    perf record -F 2999 -g -o ours.data -- .venv-bench/bin/python bench/profile_loop.py ours decode 2000000
    perf report -i ours.data --no-children --sort dso,symbol -g none
    valgrind --tool=callgrind .venv-bench/bin/python bench/profile_loop.py ours decode 20000

See docs/benchmarks/profile.md for what it showed.
"""

from __future__ import annotations

import sys
import time
import uuid

SECRET = "bench-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef"


def main(lib: str, op: str, n: int) -> None:
    now = int(time.time())
    payload = {"token_type": "access", "exp": now + 3600, "iat": now, "jti": uuid.uuid4().hex, "user_id": "42"}
    if lib == "ours":
        from simplejwt_rs import Codec

        codec = Codec("HS256", SECRET)
        token = codec.encode(payload)

        def decode() -> object:
            return codec.decode(token, token_type="access", jti_claim="jti", require_exp=True)

        encode = codec.encode
    elif lib == "ryjwt":
        import ryjwt

        key = ryjwt.SecretKey(SECRET, algorithms=["HS256"])
        token = key.encode(payload)

        def decode() -> object:
            return key.decode(token)

        encode = key.encode
    else:
        raise SystemExit(f"lib must be ours or ryjwt, not {lib!r}")
    if op == "decode":
        for _ in range(n):
            decode()
    elif op == "encode":
        for _ in range(n):
            encode(payload)
    else:
        raise SystemExit(f"op must be decode or encode, not {op!r}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
