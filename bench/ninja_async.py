"""django-ninja under uvicorn: our AsyncJWTAuth against django-ninja-jwt's, and our sync JWTAuth (issue 22).

One SQLite file, one user; two uvicorn servers (one worker each) run at once, ours with POLICY_CACHE on a
throwaway Redis (revocation enforced at every request: revoked families, "log out everywhere", the rule) and
POLICY_NEAR_CACHE_USERS (the row kept in the near cache: a warm request reads no row and makes no hop),
django-ninja-jwt's as its README sets it up (it checks is_active and nothing else).  wrk drives one endpoint
at a time in short slices, alternating, GET with one access token (ours mints it; both sides verify it):

- ours, AsyncJWTAuth (async operation, the user row, kept near: no thread hop): /api/async
- ours, AsyncJWTTokenUserAuth (async operation, a TokenUser, the warm cache: no thread hop): /api/async-token-user
- ours, JWTAuth (sync operation, the row kept near): /api/sync
- django-ninja-jwt, AsyncJWTAuth (async operation, the user row): /api/async

    .venv-bench/bin/python bench/ninja_async.py        (writes docs/benchmarks/ninja.json)
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
sys.path[:0] = [str(HERE), str(ROOT)]

from common import machine, write_json  # noqa: E402

from harness.server import Server, free_port, start  # noqa: E402

SLICES = int(os.environ.get("BENCH_NINJA_SLICES", "6"))
SECONDS = int(os.environ.get("BENCH_NINJA_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_NINJA_CONNECTIONS", "16"))
CASES = {
    "simplejwt-rs AsyncJWTAuth (row kept near: POLICY_NEAR_CACHE_USERS, no hop)": ("ours", "/api/async"),
    "simplejwt-rs AsyncJWTTokenUserAuth (POLICY_CACHE warm, no hop)": ("ours", "/api/async-token-user"),
    "simplejwt-rs JWTAuth, sync operation (row kept near: POLICY_NEAR_CACHE_USERS)": ("ours", "/api/sync"),
    "django-ninja-jwt AsyncJWTAuth (row, no revocation)": ("ninja-jwt", "/api/async"),
}
MINT = """
from django.contrib.auth.models import User
from simplejwt_rs.tokens import RefreshToken
user = User.objects.create_user("alice", password="x")
print(str(RefreshToken.for_user(user).access_token))
"""


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk)", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="simplejwt-rs-bench-ninja."))
    redis_dir = workdir / "redis"
    script = str(ROOT / "scripts" / "redis.sh")
    redis = subprocess.run([script, "start", str(redis_dir), str(free_port())], check=True, capture_output=True)
    base = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "bench.ninja_settings",
        "BENCH_NINJA_DB": str(workdir / "bench.sqlite3"),
        "BENCH_NINJA_REDIS": redis.stdout.decode().strip(),
        "BENCH_WRK_DIR": str(HERE / "wrk"),
    }
    env = {side: {**base, "BENCH_NINJA_SIDE": side} for side in ("ours", "ninja-jwt")}
    servers: dict[str, Server] = {}
    try:
        django = [sys.executable, "-m", "django"]
        for side in env:
            subprocess.run([*django, "migrate", "--no-input", "-v", "0"], env=env[side], cwd=ROOT, check=True)
        access = (
            subprocess.run(
                [*django, "shell", "-v", "0", "-c", MINT], env=env["ours"], cwd=ROOT, check=True, capture_output=True
            )
            .stdout.decode()
            .strip()
        )
        for side in env:
            servers[side] = start(
                "bench.ninja_asgi:application",
                program="uvicorn",
                cwd=ROOT,
                env=env[side],
                options=["--workers", "1", "--log-level", "warning", "--no-access-log"],
                log=workdir / f"uvicorn-{side}.log",
            )
        slices: dict[str, list[dict[str, Any]]] = {name: [] for name in CASES}
        for side, path in CASES.values():  # warm-up: the cache filled, connections made
            wrk(f"{servers[side].url}{path}", 1, base, access)
        for _ in range(SLICES):
            for name, (side, path) in CASES.items():
                slices[name].append(wrk(f"{servers[side].url}{path}", SECONDS, base, access))
    finally:
        for server in servers.values():
            server.stop()
        subprocess.run([script, "stop", str(redis_dir)], check=False, capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)
    results = {}
    for name, runs in slices.items():
        requests = sum(run["requests"] for run in runs)
        seconds = sum(run["duration_us"] for run in runs) / 1e6
        results[name] = {
            "rps": round(requests / seconds, 1),
            "p50_ms": round(statistics.median(run["p50_us"] for run in runs) / 1000, 2),
            "p99_ms": round(statistics.median(run["p99_us"] for run in runs) / 1000, 2),
            "errors": sum(sum(run["errors"].values()) for run in runs),
            "non_2xx": sum(run["errors"]["status"] for run in runs),
        }
    theirs = results["django-ninja-jwt AsyncJWTAuth (row, no revocation)"]["rps"]
    print(
        f"uvicorn, 1 worker per side; ours POLICY_CACHE on Redis + POLICY_NEAR_CACHE_USERS; "
        f"wrk -t1 -c{CONNECTIONS}, {SLICES} slices of {SECONDS} s per endpoint; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'':80} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs ninja-jwt':>12}")
    for name, row in results.items():
        ratio = row["rps"] / theirs if theirs else float("nan")
        print(f"{name:80} {row['rps']:8.1f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {ratio:11.2f}x")
    write_json(
        "ninja",
        {
            "machine": machine(),
            "load": f"wrk -t1 -c{CONNECTIONS}, {SLICES} slices of {SECONDS} s per endpoint, alternating",
            "setup": "uvicorn, 1 worker per side, one SQLite file; ours: POLICY_CACHE on a local Redis with "
            "the near cache and POLICY_NEAR_CACHE_USERS=True; django-ninja-jwt: as its README sets it up",
            # The machine's 1-minute load average when the run ended (other work on it skews every figure).
            "loadavg_1min": round(os.getloadavg()[0], 2),
            "results": results,
        },
    )
    return 0 if all(row["errors"] == 0 for row in results.values()) else 1


def wrk(url: str, seconds: int, env: dict[str, str], access: str) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(HERE / "wrk" / "get.lua"), "--latency", url]
    out = subprocess.run(
        command, env={**env, "BENCH_ACCESS": access}, check=True, capture_output=True, text=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


if __name__ == "__main__":
    sys.exit(main())
