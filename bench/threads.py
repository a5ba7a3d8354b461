"""Sign and verify throughput with 1 vs 2 threads sharing one Codec.

The core releases the GIL around RSA/EC/EdDSA signing and verification (not
around HMAC, whose cost is below the release/reacquire overhead), so on a
multi-core machine asymmetric throughput should scale with threads while
HS256 stays flat. Not a test: it prints figures (`make bench-threads`).

    python bench/threads.py [--seconds 1] [--repeat 5] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from simplejwt_rs import Codec

CLAIMS = {"token_type": "access", "exp": 4_102_444_800, "iat": 1_700_000_000, "jti": "0" * 32, "user_id": 42}


def private_pem(alg: str) -> str:
    if alg.startswith(("RS", "PS")):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()).decode()


def throughput(operation, threads: int, seconds: float) -> tuple[float, float]:
    """(operations per second, CPU cores busy) over `seconds`, `threads` threads calling `operation`.

    The cores figure (process CPU time / wall time) tells a GIL-bound run (about 1.0
    whatever the thread count) from one starved by other load on the machine."""
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def loop(t: int) -> None:
        start.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            for _ in range(20):
                operation()
            n += 20
        counts[t] = n

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    stop_at[0] = time.perf_counter() + seconds
    begin, cpu = time.perf_counter(), time.process_time()
    start.wait()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - begin
    return sum(counts) / wall, (time.process_time() - cpu) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved trials; the best of each is shown")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--algs", default="RS256,ES256,EdDSA,HS256")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"{os.cpu_count()} CPUs; best of {args.repeat} x {args.seconds:g} s; ops/s with a shared Codec")
    header = f"{'alg':6} {'op':6} " + " ".join(f"{f'{t} thread' + ('s' if t > 1 else ''):>11}" for t in thread_counts)
    print(header + "   speed-up   cores busy")
    for alg in args.algs.split(","):
        key = "a-benchmark-secret-that-is-long-enough-0123456789" if alg.startswith("HS") else private_pem(alg)
        codec = Codec(alg, key)
        token = codec.encode(CLAIMS)
        operations = {"sign": lambda c=codec: c.encode(CLAIMS), "verify": lambda c=codec, t=token: c.decode(t)}
        for name, operation in operations.items():
            operation()  # warm up
            # Interleaved trials, best of each: other load on the machine comes and goes.
            trials = [[throughput(operation, t, args.seconds) for t in thread_counts] for _ in range(args.repeat)]
            figures = [max(column) for column in zip(*trials, strict=True)]
            rates = [rate for rate, _ in figures]
            cells = " ".join(f"{rate:11,.0f}" for rate in rates)
            cores = " / ".join(f"{busy:.2f}" for _, busy in figures)
            print(f"{alg:6} {name:6} {cells}   x{rates[-1] / rates[0]:<6.2f}   {cores}", flush=True)


if __name__ == "__main__":
    main()
