"""Several servers' protected GET: stock JWTAuthentication and JWTStatelessUserAuthentication vs ours with
POLICY_CACHE (both classes), each under gunicorn on a throwaway PostgreSQL and Redis 7, driven by wrk.

All four servers run at once; wrk drives one at a time in short slices, the order alternating, so
drifts on a shared machine hit every side alike.  SQL queries per request are counted on separate
requests (``X-Count-Queries``), never during the timed slices.

    .venv-bench/bin/python bench/policy_cache.py      (writes docs/benchmarks/policy_cache.json)

The servers import simplejwt_rs from the bench venv (``make bench`` reinstalls it from the source tree
first); ``PYTHONPATH=$PWD/python`` in front measures the working tree's Python without a rebuild (with
python/simplejwt_rs/_core.abi3.so linked to a built extension, e.g. .venv's).
"""

from __future__ import annotations

import http.client
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
sys.path[:0] = [str(HERE), str(ROOT)]  # common.py; harness/

from common import machine, write_json  # noqa: E402

from harness.server import Server, free_port, start  # noqa: E402

SLICES = int(os.environ.get("BENCH_HTTP_SLICES", "6"))
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "3"))
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "8"))
SIDES = {
    "stock-db": "stock JWTAuthentication",
    "stock-stateless": "stock JWTStatelessUserAuthentication",
    "ours-db": "ours JWTAuthentication + POLICY_CACHE",
    "ours-stateless": "ours JWTStatelessUserAuthentication + POLICY_CACHE",
}


def service(script: str) -> tuple[Path, str]:
    # Directly under the temporary directory: PostgreSQL runs as its own user, who must reach it.
    directory = Path(tempfile.mkdtemp(prefix=f"simplejwt-rs-bench-{script.split('.')[0]}-"))
    url = subprocess.run(
        [str(ROOT / "scripts" / script), "start", str(directory), str(free_port())],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()
    return directory, url.splitlines()[-1]


def request(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wrk(env: dict[str, str], url: str, seconds: int, access: str) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(HERE / "wrk" / "get.lua"), url]
    out = subprocess.run(
        command, env={**env, "BENCH_ACCESS": access}, check=True, capture_output=True, text=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["errors_total"] = sum(result["errors"].values())
    return result


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk)", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="simplejwt-rs-bench-cache-"))
    pg_dir, database_url = service("postgres.sh")
    redis_dir, redis_url = service("redis.sh")
    servers: dict[str, Server] = {}
    try:
        base = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")])),
            "DJANGO_SETTINGS_MODULE": "policy_cache_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "BENCH_WRK_DIR": str(HERE / "wrk"),
        }
        ours = {**base, "BENCH_SIDE": "ours-db"}
        django = [sys.executable, "-m", "django"]
        subprocess.run([*django, "migrate", "--no-input", "-v", "0"], env=ours, check=True)
        seed = "from django.contrib.auth.models import User; User.objects.create_user('alice', password='x' * 12)"
        subprocess.run([*django, "shell", "-v", "0", "-c", seed], env=ours, check=True)
        access: dict[str, str] = {}
        for side in SIDES:
            env = {**base, "BENCH_SIDE": side}
            servers[side] = start(
                "django.core.wsgi:get_wsgi_application()",
                cwd=HERE,
                env=env,
                options=["--workers", str(WORKERS)],
                log=workdir / f"gunicorn-{side}.log",
            )
            status, _headers, body = request(servers[side].port, "POST", "/mint/", {})
            assert status == 200, body
            access[side] = json.loads(body)["access"]
        queries: dict[str, list[int]] = {}
        for side in SIDES:  # warm-up (imports, connections, the cache), then SQL queries per request
            url = servers[side].url + "/api/me/"
            wrk(base, url, 2, access[side])
            queries[side] = []
            for _ in range(20):
                status, headers, body = request(
                    servers[side].port,
                    "GET",
                    "/api/me/",
                    {"Authorization": f"Bearer {access[side]}", "X-Count-Queries": "1"},
                )
                assert status == 200, body
                queries[side].append(int(headers["X-Queries"]))
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
        order = list(SIDES)
        for i in range(SLICES):
            print(f"policy cache: slice {i + 1}/{SLICES}", file=sys.stderr)
            for side in order if i % 2 == 0 else order[::-1]:
                runs[side].append(wrk(base, servers[side].url + "/api/me/", SECONDS, access[side]))
    finally:
        for server in servers.values():
            server.stop()
        subprocess.run([str(ROOT / "scripts" / "redis.sh"), "stop", str(redis_dir)], check=False)
        subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop", str(pg_dir)], check=False)
    summary: dict[str, Any] = {}
    for side, results in runs.items():
        summary[SIDES[side]] = {
            "rps": round(statistics.median(x["rps"] for x in results), 1),
            "p50_ms": round(statistics.median(x["p50_us"] for x in results) / 1000, 2),
            "p99_ms": round(statistics.median(x["p99_us"] for x in results) / 1000, 2),
            "sql_queries_per_request": round(statistics.mean(queries[side]), 2),
            "errors": sum(x["errors_total"] for x in results),
            "requests": sum(x["requests"] for x in results),
            "runs": results,
        }

    def ratio(a: str, b: str, key: str) -> float:
        # Slice i of each side ran back to back: the median of the per-slice ratios.
        return round(statistics.median(x[key] / y[key] for x, y in zip(runs[a], runs[b], strict=True)), 2)

    targets = {
        "ours stateless rps / stock JWTAuthentication rps (target >= 1.5)": ratio("ours-stateless", "stock-db", "rps"),
        "ours stateless p99 / stock JWTAuthentication p99 (target < 1)": ratio("ours-stateless", "stock-db", "p99_us"),
        # Issue 24: with the near cache (on by default over Django's RedisCache) no Redis round trip either.
        "ours stateless rps / stock stateless rps (target >= 1.0)": ratio("ours-stateless", "stock-stateless", "rps"),
        "ours stateless p99 / stock stateless p99 (target < 1)": ratio("ours-stateless", "stock-stateless", "p99_us"),
        "ours JWTAuthentication rps / stock JWTAuthentication rps": ratio("ours-db", "stock-db", "rps"),
    }
    write_json(
        "policy_cache",
        {
            "machine": machine(),
            "setup": {
                "server": f"gunicorn (sync) --workers {WORKERS} per side, PostgreSQL (CONN_MAX_AGE 600), "
                "Redis 7 (Django's RedisCache), GET /api/me/ with an access token",
                "load": f"wrk -t1 -c{CONNECTIONS}, {SLICES} slices of {SECONDS} s per side, sides alternating",
            },
            "sides": summary,
            "ratios": targets,
        },
    )
    print(f"{'':55} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'SQL/req':>7}")
    for name, row in summary.items():
        print(f"{name:55} {row['rps']:>9} {row['p50_ms']:>7} {row['p99_ms']:>7} {row['sql_queries_per_request']:>7}")
    for name, value in targets.items():
        print(f"{name}: {value}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
