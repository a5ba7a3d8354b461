"""Authentication with revocation enforced, in one process: stock simplejwt 5.5.1's
JWTStatelessUserAuthentication (which enforces none of it) against ours with POLICY_CACHE on a throwaway
Redis, with the near cache (warm) and without it (a Redis round trip per request); and our part alone
(the token decoded, then the policy looked up on a warm near cache).  Paired rounds (common.round_robin):
each round times every case back to back; the ratios are medians of the per-round ratios.

    .venv-bench/bin/python bench/near_cache.py      (writes docs/benchmarks/near_cache.json)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
os.environ["DJANGO_SETTINGS_MODULE"] = "django_settings"

import django  # noqa: E402

django.setup()

import django_settings as bench_settings  # noqa: E402
from common import Case, machine, median_us, round_robin, write_json  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework_simplejwt import authentication as stock_auth  # noqa: E402
from rest_framework_simplejwt import tokens as stock_tokens  # noqa: E402
from simplejwt_rs import authentication as our_auth  # noqa: E402
from simplejwt_rs import policy_cache  # noqa: E402
from simplejwt_rs import tokens as our_tokens  # noqa: E402
from simplejwt_rs.backends import token_backend  # noqa: E402
from simplejwt_rs.policy_cache import near, reads  # noqa: E402

from harness.server import free_port  # noqa: E402

STOCK = "stock JWTStatelessUserAuthentication.authenticate (no revocation checks)"
NEAR = "ours JWTStatelessUserAuthentication.authenticate, POLICY_CACHE + near cache (warm)"
ROUND_TRIP = "ours JWTStatelessUserAuthentication.authenticate, POLICY_CACHE, near cache off (Redis round trip)"
PART = "our part: decode + policy lookup on the warm near cache"


def redis() -> tuple[str, str]:
    directory = tempfile.mkdtemp(prefix="simplejwt-rs-bench-near-")
    out = subprocess.run(
        [str(ROOT / "scripts/redis.sh"), "start", directory, str(free_port())],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return directory, out.stdout.strip().splitlines()[-1]


@contextmanager
def near_off() -> Iterator[None]:
    """The near cache set aside (not reset: it stays warm for the other cases)."""
    saved = near._near, near._decided
    near._near, near._decided = None, True
    try:
        yield
    finally:
        near._near, near._decided = saved


def main() -> int:
    directory, url = redis()
    try:
        return run(url)
    finally:
        subprocess.run([str(ROOT / "scripts/redis.sh"), "stop", directory], check=False)


def run(url: str) -> int:
    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user("alice", password="bench-password")
    factory = APIRequestFactory()
    stock_access = str(stock_tokens.RefreshToken.for_user(user).access_token)
    stock_request = Request(factory.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {stock_access}"))
    stock = stock_auth.JWTStatelessUserAuthentication()
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "policy": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    ours_settings = {
        **bench_settings.OURS,
        **bench_settings.ROTATE,
        "CHECK_REVOKE_TOKEN": True,
        "POLICY_CACHE": "policy",
    }
    with override_settings(CACHES=caches, SIMPLE_JWT=ours_settings):
        access = str(our_tokens.RefreshToken.for_user(user).access_token)
        request = Request(factory.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}"))
        ours = our_auth.JWTStatelessUserAuthentication()
        backend = token_backend()
        for _ in range(3):
            ours.authenticate(request)
        current = near.current()
        assert current is not None and current.wait_up(10), "the near cache's channel did not come up"
        for _ in range(3):
            ours.authenticate(request)
        # Every side authenticates; ours refuses once the user is deactivated (checked, then undone).
        assert str(stock.authenticate(stock_request)[0].id) == str(user.pk)
        assert str(ours.authenticate(request)[0].id) == str(user.pk)
        reader_calls = [0]
        real_read = reads.read

        def counted(keys: list[str]) -> Any:
            reader_calls[0] += 1
            return real_read(keys)

        reads.read = counted
        for _ in range(100):
            ours.authenticate(request)
        reads.read = real_read
        assert reader_calls[0] == 0, f"{reader_calls[0]} Redis reads on a warm near cache"
        user.is_active = False
        user.save()
        try:
            ours.authenticate(request)
        except Exception as exc:  # noqa: BLE001  (DRF's AuthenticationFailed)
            refused = getattr(exc, "get_codes", lambda: "?")()
        else:
            raise AssertionError("a deactivated user was accepted")
        user.is_active = True
        user.save()
        for _ in range(3):
            ours.authenticate(request)

        def part(n: int) -> None:
            for _ in range(n):
                policy_cache.check(backend.decode(access))

        cases = [
            Case(STOCK, lambda n: [stock.authenticate(stock_request) for _ in range(n)]),
            Case(NEAR, lambda n: [ours.authenticate(request) for _ in range(n)]),
            Case(ROUND_TRIP, lambda n: [ours.authenticate(request) for _ in range(n)], context=near_off),
            Case(PART, part),
        ]
        round_robin(cases)
    by_key = {case.key: case for case in cases}

    def ratio(a: str, b: str) -> float:
        pairs = zip(by_key[a].samples, by_key[b].samples, strict=True)
        return round(statistics.median(x / y for x, y in pairs), 2)

    ratios = {
        "stock stateless / ours with the near cache (target >= 5)": ratio(STOCK, NEAR),
        "stock stateless / ours, Redis round trip": ratio(STOCK, ROUND_TRIP),
        "Redis round trip / near cache": ratio(ROUND_TRIP, NEAR),
    }
    part_us = round(median_us(by_key[PART]), 2)
    write_json(
        "near_cache",
        {
            "machine": machine(),
            "setup": "one process, SQLite in memory, Redis 7 (Django's RedisCache) on 127.0.0.1; ours enforces "
            "deactivation, the rule, password changes (CHECK_REVOKE_TOKEN), revoked families and log-out-"
            "everywhere; stock enforces none",
            "deactivated_user_refused_with": refused,
            "cases": {
                case.key: {"us": round(median_us(case), 2), "samples_us": [round(s * 1e6, 2) for s in case.samples]}
                for case in cases
            },
            "ratios": ratios,
            "our_part_us (target < 5)": part_us,
        },
    )
    for case in cases:
        print(f"{case.key:100} {median_us(case):8.2f} us")
    for name, value in ratios.items():
        print(f"{name}: {value}")
    print(f"our part (decode + warm near-cache lookup): {part_us} us (target < 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
