"""One Codec shared by 8 threads doing mixed encode/decode/refresh gives the same
results as a single thread, and nothing deadlocks (every wait has a timeout).

The GIL is released around RSA/EC/EdDSA signing and verification, so these
threads really run Rust concurrently; the refresh callback sleeps (dropping the
GIL in Python) and calls back into the same codec."""

from __future__ import annotations

import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from simplejwt_rs import Codec
from simplejwt_rs import exceptions as exc

from . import keys

NOW = int(time.time())
THREADS = 8
TIMEOUT = 120  # seconds for the whole run; a deadlock fails instead of hanging
ALGS = ("HS256", "RS256", "EdDSA", "ES256", "PS256")
DETERMINISTIC = {"HS256", "RS256", "EdDSA"}


def payload(i: int) -> dict:
    return {"token_type": "access", "exp": NOW + 3600, "iat": NOW, "jti": f"{i:032x}", "user_id": i, "n": [i, str(i)]}


def refresh_claims(i: int) -> dict:
    return {"token_type": "refresh", "exp": NOW + 86400, "iat": NOW, "jti": f"r{i:031x}", "user_id": i}


def flip_signature(token: str) -> str:
    """The same token with one signature character changed (still canonical base64url)."""
    head, sig = token.rsplit(".", 1)
    return f"{head}.{sig[:5]}{'B' if sig[5] == 'A' else 'A'}{sig[6:]}"


class Fixture:
    def __init__(self, alg: str) -> None:
        self.alg = alg
        self.codec = Codec(alg, keys.signing_key(alg), keys.verifying_key(alg))
        other_key = "another-secret-that-is-long-enough-for-hmac-use-0123456789abcdef"
        self.other = Codec(alg, other_key) if alg.startswith("HS") else None
        self.tokens = [self.codec.encode(payload(i)) for i in range(20)]
        self.refresh_tokens = [self.codec.encode(refresh_claims(i)) for i in range(20)]
        self.bad = [
            self.codec.encode({**payload(0), "exp": NOW - 10}),  # expired
            flip_signature(self.tokens[1]),
            self.refresh_tokens[2],  # wrong type for an access decode
            "not.a.token",
        ]


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Fixture]:
    return {alg: Fixture(alg) for alg in ALGS}


def work_items() -> list[tuple[str, str, int]]:
    items = []
    for alg in ALGS:
        for i in range(12):
            items += [("encode", alg, i), ("decode", alg, i), ("refresh", alg, i)]
        for i in range(4):
            items.append(("bad", alg, i))
    return items


def run(item: tuple[str, str, int], fx: dict[str, Fixture]) -> object:
    """One operation, reduced to a comparable, deterministic result."""
    kind, alg, i = item
    f = fx[alg]
    codec = f.codec
    if kind == "encode":
        token = codec.encode(payload(i))
        # ES256/PS256 signatures are randomised: compare what the token says, not its bytes.
        return token if alg in DETERMINISTIC else ("decoded", codec.decode(token))
    if kind == "decode":
        return codec.decode(f.tokens[i], token_type="access", jti_claim="jti", require_exp=True)
    if kind == "bad":
        try:
            codec.decode(f.bad[i], token_type="access", jti_claim="jti", require_exp=True)
        except exc.JWTError as e:
            return type(e).__name__
        return "accepted?!"
    # refresh: the callback takes time (sleeps, so other threads run) and re-enters the codec.
    seen = []

    def is_user_active(claims: dict) -> bool:
        time.sleep(0.002)
        seen.append(codec.decode(f.tokens[claims["user_id"]])["user_id"])
        return claims["user_id"] % 5 != 0

    try:
        result = codec.refresh(
            f.refresh_tokens[i], is_user_active, access_lifetime=300, refresh_lifetime=3600, rotate=True, now=NOW
        )
    except exc.UserInactiveError:
        return ("inactive", seen)
    access = codec.decode(result["access"], now=NOW)
    rotated = codec.decode(result["refresh"], token_type="refresh")
    assert access == result["access_claims"] and rotated == result["refresh_claims"]
    # jti differs on every refresh: keep its shape, drop its value.
    assert len(access["jti"]) == 32 and access["jti"] != rotated["jti"]
    return (
        {k: v for k, v in access.items() if k != "jti"},
        {k: v for k, v in rotated.items() if k != "jti"},
        result["claims"],
        seen,
    )


def test_eight_threads_match_one_thread(fixtures):
    items = work_items()
    expected = [run(item, fixtures) for item in items]
    # Sanity: the mix has successes and each kind of failure.
    assert "ExpiredTokenError" in expected and "InvalidSignatureError" in expected
    assert "MissingClaimError" in expected or "WrongTokenTypeError" in expected
    assert any(isinstance(r, tuple) and r[0] == "inactive" for r in expected)

    order = list(range(len(items)))
    random.Random(5).shuffle(order)
    start = threading.Barrier(THREADS, timeout=TIMEOUT)

    def worker(chunk: list[int]) -> list[tuple[int, object]]:
        start.wait()
        return [(n, run(items[n], fixtures)) for n in chunk]

    chunks = [order[t::THREADS] for t in range(THREADS)]
    deadline = time.monotonic() + TIMEOUT
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(worker, chunk) for chunk in chunks]
        results = {}
        for future in futures:
            results.update(future.result(timeout=max(1.0, deadline - time.monotonic())))
    assert [results[n] for n in range(len(items))] == expected


def test_callback_exceptions_propagate_from_any_thread(fixtures):
    f = fixtures["RS256"]

    class Boom(Exception):
        pass

    def explode(claims: dict) -> bool:
        time.sleep(0.001)
        raise Boom(claims["user_id"])

    def worker(i: int) -> int:
        with pytest.raises(Boom) as err:
            f.codec.refresh(f.refresh_tokens[i], explode, access_lifetime=60)
        return err.value.args[0]

    with ThreadPoolExecutor(THREADS) as pool:
        got = [fut.result(timeout=TIMEOUT) for fut in [pool.submit(worker, i) for i in range(16)]]
    assert got == list(range(16))


def test_threads_hammering_one_codec_never_deadlock(fixtures):
    """Tight loops of slow-crypto calls on one codec from 8 threads, joined with a timeout."""
    f = fixtures["ES256"]
    stop = time.monotonic() + 2.0
    counts = [0] * THREADS
    errors: list[BaseException] = []

    def loop(t: int) -> None:
        try:
            while time.monotonic() < stop:
                token = f.codec.encode(payload(t))
                assert f.codec.decode(token)["user_id"] == t
                counts[t] += 1
        except BaseException as e:  # reported below, never swallowed
            errors.append(e)

    threads = [threading.Thread(target=loop, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert errors == []
    assert all(count > 0 for count in counts)


def another_thread_ran_inside(call) -> bool:
    """Whether a waiting Python thread gets the GIL while `call()` is running.

    With a switch interval of 100 s the interpreter never takes the GIL away
    from this thread by itself, so the waiting thread can only run inside the
    call if the call releases the GIL (and otherwise only once we block in join).
    """
    inside = [False]
    seen = []
    go = threading.Event()

    def waiter() -> None:
        go.wait()  # blocked without the GIL; afterwards it waits for the GIL
        seen.append(inside[0])

    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        thread = threading.Thread(target=waiter, daemon=True)
        thread.start()
        go.set()
        # The waiter must be woken and scheduled while a call is inside its
        # release, which on a loaded machine can take many calls: keep calling
        # until it has run or the time is up (all of it, when nothing is released).
        deadline = time.monotonic() + 1.5
        while not seen and time.monotonic() < deadline:
            inside[0] = True
            call()
            inside[0] = False
        thread.join(timeout=TIMEOUT)
    finally:
        sys.setswitchinterval(old)
    assert not thread.is_alive() and len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA", "HS256"])
def test_the_gil_is_released_around_asymmetric_crypto_only(fixtures, alg):
    f = fixtures[alg]
    token = f.tokens[0]
    released = alg != "HS256"  # HMAC is too quick for a release to pay off
    assert another_thread_ran_inside(lambda: f.codec.encode(payload(1))) is released
    assert another_thread_ran_inside(lambda: f.codec.decode(token)) is released
