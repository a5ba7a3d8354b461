"""HTTP table: the demo project under gunicorn on 127.0.0.1, stock simplejwt settings vs ours, driven by wrk.

For each configuration (rotation off, then on) both sides' servers run at once
on one fresh SQLite file, with the same gunicorn and wrk settings, and wrk
drives them in short slices, alternating between the sides:

- rotation off: GET /api/me/ with an access token, POST /api/token/refresh/ with one refresh token;
- rotation on (+ blacklist): POST /api/token/refresh/, each request with its own pre-minted refresh token.

    .venv-bench/bin/python bench/http_load.py      (writes docs/benchmarks/http.json)
    .venv-bench/bin/python bench/http_load.py mint COUNT POOLFILE   (used internally)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo"
sys.path[:0] = [str(HERE), str(ROOT)]  # common.py; harness/

from common import machine, write_json  # noqa: E402

from harness.server import Server, start  # noqa: E402

SLICES = int(os.environ.get("BENCH_HTTP_SLICES", "8"))
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "3"))
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "8"))
SIDES = ("stock simplejwt", "simplejwt-rs")
SIDE_ENV = {"stock simplejwt": "stock", "simplejwt-rs": "ours"}
# The stock side runs the demo as it was before the migration (its database is migrated with
# simplejwt_rs installed, for the other side; stock never touches those tables).
STOCK_ENV = {"stock simplejwt": {"DEMO_STOCK": "1"}, "simplejwt-rs": {}}
ENDPOINTS = {
    False: ("GET /api/me/", "refresh (default)"),
    True: ("refresh (rotate + blacklist)",),
}


def mint(count: int, pool: Path) -> None:
    """Inside Django: print an access and a refresh token for alice, and write ``count`` more refresh tokens."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework_simplejwt.tokens import RefreshToken

    user = get_user_model().objects.get(username="alice")
    refresh = RefreshToken.for_user(user)
    with transaction.atomic():  # one commit for the whole pool
        pool.write_text("".join(f"{RefreshToken.for_user(user)}\n" for _ in range(count)))
    print(json.dumps({"access": str(refresh.access_token), "refresh": str(refresh)}))


class Bench:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(DEMO)]),
            "DJANGO_SETTINGS_MODULE": "http_settings",
            "BENCH_DB": str(workdir / "bench.sqlite3"),
            "BENCH_WRK_DIR": str(HERE / "wrk"),
        }

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, str(DEMO / "manage.py"), *args], cwd=DEMO, env=self.env, check=True)

    def seed(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("shell", "-v", "0", "-c", "from django.contrib.auth.models import User; "
                    "User.objects.create_user('alice', password='bench-password')")  # fmt: skip

    def tokens(self, count: int, name: str) -> tuple[dict[str, str], Path]:
        pool = self.workdir / f"{name}.tokens"
        out = subprocess.run(
            [sys.executable, str(Path(__file__)), "mint", str(count), str(pool)],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1]), pool

    def serve(self, side: str, rotate: bool) -> Server:
        env = {**self.env, **STOCK_ENV[side], "BENCH_ROTATE": "1" if rotate else "0"}
        return start(
            "demo.wsgi",
            cwd=DEMO,
            env=env,
            options=["--workers", str(WORKERS)],
            log=self.workdir / f"gunicorn-{SIDE_ENV[side]}-{int(rotate)}.log",
        )

    def wrk(self, url: str, script: str, seconds: int, **env: str) -> dict[str, Any]:
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(HERE / "wrk" / script), url]
        out = subprocess.run(command, env={**self.env, **env}, check=True, capture_output=True, text=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
        result = json.loads(line.removeprefix("BENCH_JSON "))
        result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
        result["errors_total"] = sum(result["errors"].values())
        return result


def split(pool: Path, sizes: list[int]) -> list[Path]:
    """Cut the token pool into consecutive files of the given sizes (each token goes to one file only)."""
    lines = pool.read_text().splitlines()
    if len(lines) < sum(sizes):
        raise RuntimeError(f"{pool} holds {len(lines)} tokens, {sum(sizes)} needed")
    paths, start = [], 0
    for i, size in enumerate(sizes):
        path = pool.with_suffix(f".{i}")
        path.write_text("\n".join(lines[start : start + size]) + "\n")
        paths.append(path)
        start += size
    return paths


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk)", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="simplejwt-rs-bench-"))
    bench = Bench(workdir)
    bench.seed()
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        endpoint: {side: [] for side in SIDES} for endpoints in ENDPOINTS.values() for endpoint in endpoints
    }
    default_rps: dict[str, float] = {}
    server_errors: dict[str, dict[str, int]] = {side: {} for side in SIDES}
    for rotate in (False, True):
        # Both servers run at once (an idle sync worker costs nothing); wrk drives one side at a time, in
        # short slices alternating between the sides, so load drifts on this shared machine hit both alike.
        tokens: dict[str, dict[str, str]] = {}
        chunks: dict[str, list[Path]] = {}
        servers: dict[str, Server] = {}
        try:
            for side in SIDES:
                # Each rotating request spends one token: a slice gets as many as the side's
                # non-rotating refresh managed in the same time, plus a margin.
                size = int(default_rps.get(side, 500) * SECONDS) + 300
                need = size * SLICES + 150 if rotate else 0
                tokens[side], pool = bench.tokens(need, f"{SIDE_ENV[side]}-{int(rotate)}")
                if rotate:
                    chunks[side] = split(pool, [150] + [size] * SLICES)  # warm-up, then one file per slice
                servers[side] = bench.serve(side, rotate)
            for side in SIDES:  # warm-up: imports, connections, the first queries
                url = servers[side].url
                bench.wrk(url + "/api/me/", "get.lua", 2, BENCH_ACCESS=tokens[side]["access"])
                if rotate:
                    bench.wrk(url + "/api/token/refresh/", "refresh.lua", 1, BENCH_POOL=str(chunks[side][0]))
            for i in range(SLICES):
                print(f"rotation {'on' if rotate else 'off'}: slice {i + 1}/{SLICES}", file=sys.stderr)
                for side in SIDES if i % 2 == 0 else SIDES[::-1]:
                    url, side_tokens = servers[side].url, tokens[side]
                    if rotate:
                        result = bench.wrk(
                            url + "/api/token/refresh/", "refresh.lua", SECONDS, BENCH_POOL=str(chunks[side][i + 1])
                        )
                        runs["refresh (rotate + blacklist)"][side].append(result)
                    else:
                        get = bench.wrk(url + "/api/me/", "get.lua", SECONDS, BENCH_ACCESS=side_tokens["access"])
                        runs["GET /api/me/"][side].append(get)
                        refresh = bench.wrk(
                            url + "/api/token/refresh/", "refresh.lua", SECONDS, BENCH_REFRESH=side_tokens["refresh"]
                        )
                        runs["refresh (default)"][side].append(refresh)
            if not rotate:
                for side in SIDES:
                    default_rps[side] = max(r["rps"] for r in runs["refresh (default)"][side])
        finally:
            for side, server in servers.items():
                server.stop()
                for line in server.output.splitlines():
                    if line[:1].isalpha() and not line.startswith("Traceback") and "rror" in line:
                        server_errors[side][line[:200]] = server_errors[side].get(line[:200], 0) + 1
    summary: dict[str, Any] = {}
    for endpoint, by_side in runs.items():
        summary[endpoint] = {}
        for side, results in by_side.items():
            summary[endpoint][side] = {
                "rps": round(statistics.median(x["rps"] for x in results), 1),
                "p50_ms": round(statistics.median(x["p50_us"] for x in results) / 1000, 2),
                "p99_ms": round(statistics.median(x["p99_us"] for x in results) / 1000, 2),
                "errors": sum(x["errors_total"] for x in results),
                "requests": sum(x["requests"] for x in results),
                "runs": results,
            }
        # Slice i of each side ran back to back: the ratio is the median of the per-slice ratios.
        stock, ours = summary[endpoint][SIDES[0]], summary[endpoint][SIDES[1]]
        pairs = list(zip(stock["runs"], ours["runs"], strict=True))
        ratios = [o["rps"] / s["rps"] for s, o in pairs]
        ours["rps_vs_stock"] = round(statistics.median(ratios), 2)
        ours["rps_vs_stock_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
        ours["p99_vs_stock"] = round(statistics.median(o["p99_us"] / s["p99_us"] for s, o in pairs), 2)
    write_json(
        "http",
        {
            "machine": machine(),
            "setup": {
                "server": f"gunicorn (sync) --workers {WORKERS} per side, the demo project, SQLite (WAL, IMMEDIATE)",
                "load": f"wrk -t1 -c{CONNECTIONS}, {SLICES} slices of {SECONDS} s per side and endpoint, "
                "sides alternating",
            },
            "endpoints": summary,
            "server_errors": server_errors,
        },
    )
    shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "mint":
        mint(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(main())
