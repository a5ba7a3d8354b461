"""Django table: stock djangorestframework-simplejwt 5.5.1 against simplejwt_rs, in one process, on SQLite.

Stock classes run with the process settings (bench/django_settings.py, the
upstream defaults); ours run inside ``override_settings(SIMPLE_JWT=OURS)``,
the README's migration lines.  Before timing, each operation is run once per
side to check it succeeds, count its SQL queries and count PyJWT calls (stock
must make them, ours none), so each side demonstrably runs its own code.

    .venv-bench/bin/python bench/django_paths.py      (writes docs/benchmarks/django.json)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["DJANGO_SETTINGS_MODULE"] = "django_settings"

import django  # noqa: E402

django.setup()

import django_settings as bench_settings  # noqa: E402
import jwt  # noqa: E402
from common import Case, machine, median_us, round_robin, write_json  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework_simplejwt import authentication as stock_auth  # noqa: E402
from rest_framework_simplejwt import serializers as stock_serializers  # noqa: E402
from rest_framework_simplejwt import tokens as stock_tokens  # noqa: E402
from simplejwt_rs import authentication as our_auth  # noqa: E402
from simplejwt_rs import serializers as our_serializers  # noqa: E402
from simplejwt_rs import tokens as our_tokens  # noqa: E402

STOCK, OURS = "stock simplejwt", "simplejwt-rs"
# The settings object every stock module bound at import (override_settings never reaches it).
STOCK_SETTINGS = stock_serializers.api_settings


@contextmanager
def stock_config(rotate: bool) -> Iterator[None]:
    saved = {name: getattr(STOCK_SETTINGS, name) for name in bench_settings.ROTATE}
    for name, value in bench_settings.ROTATE.items():
        setattr(STOCK_SETTINGS, name, value if rotate else False)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(STOCK_SETTINGS, name, value)


def our_config(rotate: bool) -> AbstractContextManager[Any]:
    return override_settings(SIMPLE_JWT={**bench_settings.OURS, **(bench_settings.ROTATE if rotate else {})})


class PyJWTCalls:
    """Counts PyJWT encode/decode calls, to show which side goes through PyJWT."""

    def __enter__(self) -> PyJWTCalls:
        self.count = 0
        real_decode, real_encode = jwt.api_jws.PyJWS.decode_complete, jwt.api_jws.PyJWS.encode

        def decode(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real_decode(*args, **kwargs)

        def encode(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real_encode(*args, **kwargs)

        self.patches = [
            mock.patch.object(jwt.api_jws.PyJWS, "decode_complete", decode),
            mock.patch.object(jwt.api_jws.PyJWS, "encode", encode),
        ]
        for patch in self.patches:
            patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for patch in self.patches:
            patch.stop()


class Op:
    """One operation on one side: ``call(i)`` does it once (i picks a pre-minted token when it needs one)."""

    def __init__(
        self,
        name: str,
        side: str,
        call: Callable[[int], Any],
        config: Callable[[], AbstractContextManager[Any]],
        expect: Callable[[Any], bool],
        pool: list[str] | None = None,
    ) -> None:
        self.name, self.side, self.call, self.config, self.expect, self.pool = name, side, call, config, expect, pool

    def mint(self, n: int) -> None:
        if self.pool is not None:
            self.pool[:] = [str(stock_tokens.RefreshToken.for_user(USER)) for _ in range(n + 1)]

    def probe(self) -> dict[str, Any]:
        """Run once untimed: the result, the SQL and the PyJWT calls."""
        with self.config():
            self.mint(1)
            with CaptureQueriesContext(connection) as queries, PyJWTCalls() as calls:
                result = self.call(0)
        if not self.expect(result):
            raise AssertionError(f"{self.side} {self.name}: unexpected result {result!r}")
        sql = [q["sql"] for q in queries.captured_queries]
        control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
        return {
            "queries": len(sql),
            "data_queries": sum(1 for q in sql if not q.lstrip().upper().startswith(control)),
            "sql": [q["sql"].split(" ", 1)[0] + " " + table(q["sql"]) for q in queries.captured_queries],
            "pyjwt_calls": calls.count,
            "result": type(result).__module__ + "." + type(result).__qualname__,
        }

    def case(self) -> Case:
        call = self.call

        def prepare(n: int) -> None:
            self.mint(n)
            call(n)  # one untimed call (the codec is built on the first one after a settings change)

        def run(n: int) -> None:
            for i in range(n):
                call(i)

        return Case(f"{self.name}|{self.side}", run, prepare=prepare, context=self.config)


def table(sql: str) -> str:
    for word in sql.replace('"', " ").split():
        if "_" in word and word.islower():
            return word
    return ""


def seed() -> Any:
    call_command("migrate", verbosity=0, interactive=False)
    return get_user_model().objects.create_user("alice", password="bench-password")


USER = seed()


def operations() -> list[Op]:
    refresh = str(stock_tokens.RefreshToken.for_user(USER))
    access = str(stock_tokens.RefreshToken.for_user(USER).access_token)
    factory = APIRequestFactory()
    request = Request(factory.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}"))
    stock_authenticator, our_authenticator = stock_auth.JWTAuthentication(), our_auth.JWTAuthentication()
    stock_pool: list[str] = []
    our_pool: list[str] = []

    def serializer_ok(cls: type, rotate: bool) -> Callable[[Any], bool]:
        def ok(s: Any) -> bool:
            return isinstance(s, cls) and ("refresh" in s.validated_data) == rotate and "access" in s.validated_data

        return ok

    def refresh_call(cls: type, pool: list[str] | None) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            s = cls(data={"refresh": pool[i] if pool is not None else refresh})
            s.is_valid(raise_exception=True)
            return s

        return call

    def authenticated(result: Any) -> bool:
        return result is not None and result[0].pk == USER.pk

    def stock(rotate: bool = False) -> Callable[[], AbstractContextManager[Any]]:
        return lambda: stock_config(rotate)

    def ours(rotate: bool = False) -> Callable[[], AbstractContextManager[Any]]:
        return lambda: our_config(rotate)

    return [
        Op(
            "AccessToken(raw)",
            STOCK,
            lambda i: stock_tokens.AccessToken(access),
            stock(),
            lambda t: type(t) is stock_tokens.AccessToken,
        ),
        Op(
            "AccessToken(raw)",
            OURS,
            lambda i: our_tokens.AccessToken(access),
            ours(),
            lambda t: type(t) is our_tokens.AccessToken,
        ),
        Op(
            "JWTAuthentication.authenticate",
            STOCK,
            lambda i: stock_authenticator.authenticate(request),
            stock(),
            lambda r: authenticated(r) and type(r[1]) is stock_tokens.AccessToken,
        ),
        Op(
            "JWTAuthentication.authenticate",
            OURS,
            lambda i: our_authenticator.authenticate(request),
            ours(),
            lambda r: authenticated(r) and type(r[1]) is our_tokens.AccessToken,
        ),
        Op(
            "TokenRefreshSerializer (default)",
            STOCK,
            refresh_call(stock_serializers.TokenRefreshSerializer, None),
            stock(),
            serializer_ok(stock_serializers.TokenRefreshSerializer, False),
        ),
        Op(
            "TokenRefreshSerializer (default)",
            OURS,
            refresh_call(our_serializers.TokenRefreshSerializer, None),
            ours(),
            serializer_ok(our_serializers.TokenRefreshSerializer, False),
        ),
        Op(
            "TokenRefreshSerializer (rotate + blacklist)",
            STOCK,
            refresh_call(stock_serializers.TokenRefreshSerializer, stock_pool),
            stock(True),
            serializer_ok(stock_serializers.TokenRefreshSerializer, True),
            pool=stock_pool,
        ),
        Op(
            "TokenRefreshSerializer (rotate + blacklist)",
            OURS,
            refresh_call(our_serializers.TokenRefreshSerializer, our_pool),
            ours(True),
            serializer_ok(our_serializers.TokenRefreshSerializer, True),
            pool=our_pool,
        ),
    ]


def replay_refused(op: Op) -> bool:
    """With rotation + blacklist, the refresh token just used must be refused the second time."""
    with op.config():
        op.mint(1)
        op.call(0)
        try:
            op.call(0)
        except Exception:  # noqa: BLE001 (a ValidationError or TokenError both mean refused)
            return True
    return False


def main() -> None:
    ops = operations()
    probes = {(op.name, op.side): op.probe() for op in ops}
    for (name, side), probe in probes.items():
        must_use_pyjwt = side == STOCK
        if (probe["pyjwt_calls"] > 0) != must_use_pyjwt:
            raise AssertionError(f"{side} {name}: {probe['pyjwt_calls']} PyJWT calls")
    replay = {op.side: replay_refused(op) for op in ops if "rotate" in op.name}
    names = list(dict.fromkeys(op.name for op in ops))
    results: dict[str, Any] = {}
    for name in names:
        pair = [op for op in ops if op.name == name]
        cases = [op.case() for op in pair]
        print(f"timing {name}", file=sys.stderr)
        round_robin(cases)
        by_side = {op.side: (case, probes[(op.name, op.side)]) for op, case in zip(pair, cases, strict=True)}
        stock_us = median_us(by_side[STOCK][0])
        results[name] = {
            side: {
                "us": round(median_us(case), 2),
                "vs_stock": round(stock_us / median_us(case), 2),
                "queries": probe["queries"],
                "data_queries": probe["data_queries"],
                "sql": probe["sql"],
                "pyjwt_calls": probe["pyjwt_calls"],
                "samples_us": [round(s * 1e6, 2) for s in case.samples],
                "n": case.n,
            }
            for side, (case, probe) in by_side.items()
        }
    write_json(
        "django",
        {
            "machine": machine(),
            "database": "SQLite in memory",
            "replayed_rotated_token_refused": replay,
            "operations": results,
        },
    )


if __name__ == "__main__":
    main()
