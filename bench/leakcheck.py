"""A million encodes and decodes in one process, resident memory sampled after warm-up.

The mix covers the success paths (with claim names never seen before among
them), every failure path a client can reach (expired, bad signature,
malformed, too large, wrong alg, wrong type, missing claim, inactive user, a
raising callback), encodes through a JSONEncoder
`default` fallback (and one whose `default` raises), unserialisable payloads,
refresh with rotation, and a share of RS256/ES256/EdDSA. RSS is read from
/proc/self/statm; the run fails if it grows by more than the bound after the
warm-up. `make leakcheck` runs it; `--inject-leak` shows a small leak is caught.
Run it under CPython 3.12+ too (`.venv-bench/bin/python bench/leakcheck.py`):
only there is an interned str never freed, which is what the made-up claim
names would show.

    python bench/leakcheck.py [--ops 1000000] [--bound-kib 4096] [--inject-leak]
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import gc
import json
import os
import sys
import time
import uuid

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from simplejwt_rs import Codec, decode_header
from simplejwt_rs import exceptions as exc

PAGE = os.sysconf("SC_PAGE_SIZE")
SECRET = "a-leakcheck-secret-that-is-long-enough-for-hmac-0123456789abcdef"
NOW = int(time.time())


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE // 1024


class Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, uuid.UUID):
            return str(o)
        if isinstance(o, decimal.Decimal):
            return str(o)
        if isinstance(o, datetime.date):
            return o.isoformat()
        if isinstance(o, frozenset):
            raise ValueError("no frozensets")
        return super().default(o)


def pem(key) -> str:
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()).decode()


def operations() -> list:
    hs = Codec("HS256", SECRET, json_encoder=Encoder, audience="api", issuer="me")
    plain = Codec("HS256", SECRET)
    other = Codec("HS384", SECRET)
    claims = {"token_type": "access", "exp": NOW + 86400, "iat": NOW, "jti": "0" * 32, "aud": "api", "iss": "me"}
    fallback = {**claims, "id": uuid.UUID(int=7), "amount": decimal.Decimal("1.10"), "day": datetime.date(2024, 1, 2)}
    refresh = hs.encode({**claims, "token_type": "refresh", "user_id": 5})
    valid = hs.encode({**claims, "user_id": 1, "nested": {"a": [1, 2.5, None, True, "é"]}})
    header_token = hs.encode(claims, {"kid": "k1"})
    bad = {
        "expired": hs.encode({**claims, "exp": NOW - 10}),
        "signature": valid[:-2] + ("AA" if not valid.endswith("AA") else "BA"),
        "malformed": "eyJhbGciOiJIUzI1NiJ9.!!!.x",
        "large": "a" * 40_000,
        "alg": other.encode(claims),
        "audience": plain.encode({**claims, "aud": "elsewhere"}),
        "json": "eyJhbGciOiJIUzI1NiJ9.eyJhIjpOYU59.x",
    }

    def expect(error, call):
        try:
            call()
        except error:
            return
        raise AssertionError(f"{call} did not raise {error}")

    def inactive(claims):
        return False

    def boom(claims):
        raise KeyError("boom")

    def made_up_names():
        # A new claim name every time: names read from tokens must not be interned (since CPython
        # 3.12 an interned str is never freed), verified or not.
        token = plain.encode({uuid.uuid4().hex[:12]: 1, "exp": NOW + 86400})
        plain.decode(token)
        plain.decode(token, verify=False)

    ops = [
        lambda: hs.encode(claims),
        lambda: hs.encode(fallback),
        lambda: hs.encode(claims, {"kid": "k1", "x": uuid.UUID(int=1)}),
        lambda: hs.decode(valid),
        lambda: hs.decode(valid, token_type="access", jti_claim="jti", require_exp=True),
        lambda: hs.decode(bad["expired"], verify=False),
        lambda: decode_header(header_token),
        made_up_names,
        lambda: hs.refresh(refresh, lambda c: True, access_lifetime=300, refresh_lifetime=3600, rotate=True),
        lambda: expect(exc.UserInactiveError, lambda: hs.refresh(refresh, inactive, access_lifetime=300)),
        lambda: expect(KeyError, lambda: hs.refresh(refresh, boom, access_lifetime=300)),
        lambda: expect(exc.WrongTokenTypeError, lambda: hs.decode(refresh, token_type="access")),
        lambda: expect(exc.MissingClaimError, lambda: plain.decode(plain.encode({"a": 1}), jti_claim="jti")),
        lambda: expect(TypeError, lambda: plain.encode({"x": object()})),
        lambda: expect(ValueError, lambda: hs.encode({"x": frozenset()})),
        lambda: expect(ValueError, lambda: hs.encode({"x": float("nan")})),
        lambda: expect(TypeError, lambda: hs.encode([1, 2])),
    ]
    errors = {
        "expired": exc.ExpiredTokenError,
        "signature": exc.InvalidSignatureError,
        "malformed": exc.InvalidTokenError,
        "large": exc.TokenTooLargeError,
        "alg": exc.InvalidAlgorithmError,
        "audience": exc.InvalidAudienceError,
        "json": exc.InvalidTokenError,
    }
    for name, token in bad.items():
        ops.append(lambda t=token, e=errors[name]: expect(e, lambda: hs.decode(t)))
    return ops


def asymmetric_operations() -> list:
    ops = []
    for alg, key in (
        ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
        ("EdDSA", ed25519.Ed25519PrivateKey.generate()),
    ):
        codec = Codec(alg, pem(key))
        token = codec.encode({"user_id": 1, "exp": NOW + 86400})
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BAA")
        ops.append(lambda c=codec: c.encode({"user_id": 2, "exp": NOW + 86400}))
        ops.append(lambda c=codec, t=token: c.decode(t))

        def fails(c=codec, t=forged):
            try:
                c.decode(t)
            except exc.JWTError:
                return
            raise AssertionError("forged token accepted")

        ops.append(fails)
    return ops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--bound-kib", type=int, default=2048, help="allowed RSS growth after warm-up")
    parser.add_argument("--warmup", type=float, default=0.2, help="fraction of the run before the baseline")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--inject-leak", action="store_true", help="keep 64 bytes per op, to see the check fail")
    args = parser.parse_args()

    ops = operations()
    slow = asymmetric_operations()
    leak: list[bytes] = []
    every = max(1, args.ops // args.samples)
    warmup = int(args.ops * args.warmup)
    baseline = None
    samples: list[tuple[int, int]] = []
    started = time.perf_counter()
    done = 0
    n_fast = len(ops)
    while done < args.ops:
        chunk = min(every, args.ops - done)
        for i in range(done, done + chunk):
            # One op in 250 is asymmetric crypto (slow); the rest cycle through the HS256 mix.
            if i % 250 == 0:
                slow[(i // 250) % len(slow)]()
            else:
                ops[i % n_fast]()
            if args.inject_leak:
                leak.append(os.urandom(32))
        done += chunk
        gc.collect()
        rss = rss_kib()
        samples.append((done, rss))
        if baseline is None and done >= warmup:
            baseline = rss
        print(f"  {done:>9,} ops  RSS {rss:>8,} KiB", flush=True)
    elapsed = time.perf_counter() - started
    assert baseline is not None
    after = [rss for n, rss in samples if n > warmup]
    growth = max(after, default=baseline) - baseline
    print(
        f"{args.ops:,} ops in {elapsed:.1f} s ({args.ops / elapsed:,.0f}/s); RSS after warm-up: "
        f"baseline {baseline:,} KiB, max {max(after, default=baseline):,} KiB, final {samples[-1][1]:,} KiB, "
        f"growth {growth:,} KiB (bound {args.bound_kib:,} KiB)"
    )
    if growth > args.bound_kib:
        print("LEAK: resident memory grew after warm-up", file=sys.stderr)
        return 1
    print("no leak: resident memory flat after warm-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
