"""Shared by the benchmark scripts: round-robin timing, medians, the machine and versions, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks"

PACKAGES = (
    "simplejwt-rs",
    "PyJWT",
    "cryptography",
    "ryjwt",
    "oxyjwt",
    "webtoken",
    "pyjwt-rs",
    "djangorestframework-simplejwt",
    "Django",
    "djangorestframework",
    "gunicorn",
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "9"))
# Wall time one case gets per round; the iteration count is calibrated to it.
TARGET_SECONDS = float(os.environ.get("BENCH_TARGET_SECONDS", "0.1"))


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    try:
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        # What the benchmarks write (their JSON, the READMEs) does not make the measured code dirty:
        # one bench target's report would otherwise mark every later one's.
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", ".", ":!docs/benchmarks", ":!README.md"],
            capture_output=True,
            text=True,
            check=True,
        )
        commit_label = commit.stdout.strip() + ("-dirty" if changed.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        commit_label = None
    return {
        "commit": commit_label,  # "-dirty": measured code with uncommitted changes
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        # 1-, 5- and 15-minute load averages when the run started: how busy the shared machine was.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


class Case:
    """One timed operation: ``run(n)`` does it ``n`` times, inside ``context()``, after an untimed ``prepare(n)``."""

    def __init__(
        self,
        key: str,
        run: Callable[[int], object],
        prepare: Callable[[int], object] | None = None,
        max_n: int | None = None,
        context: Callable[[], AbstractContextManager[object]] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.key = key
        # perf_counter (wall) by default; time.thread_time for CPU-bound calls on a shared machine,
        # where a sample's wall time also counts the time the thread waited for a core.
        self.clock = clock
        self.run = run
        self.prepare = prepare
        self.context = context or nullcontext
        self.max_n = max_n
        self.n = 1
        self.samples: list[float] = []  # seconds per operation, one per round

    def timed(self, n: int) -> float:
        with self.context():
            if self.prepare is not None:
                self.prepare(n)
            start = self.clock()
            self.run(n)
            return (self.clock() - start) / n

    def calibrate(self, target: float) -> None:
        """Like timeit's autorange: double n until a run takes a fifth of the target, then scale to it."""
        self.timed(3)  # warm-up (imports, caches, first query)
        n = 1
        while True:
            per_op = self.timed(n)
            if per_op * n >= target / 5 or (self.max_n is not None and n >= self.max_n):
                break
            n *= 2
        self.n = max(5, int(target / max(per_op, 1e-9)))
        if self.max_n is not None:
            self.n = min(self.n, self.max_n)


def round_robin(cases: list[Case], rounds: int = ROUNDS, target: float = TARGET_SECONDS) -> None:
    """Time every case ``rounds`` times, interleaved, each round starting one case later."""
    for case in cases:
        case.calibrate(target)
    for r in range(rounds):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for case in order:
            case.samples.append(case.timed(case.n))


def median_us(case: Case) -> float:
    return statistics.median(case.samples) * 1e6


def compare(
    cases: list[Case],
    ours: str,
    baseline: str | None = None,
    rounds: int = ROUNDS,
    target: float = TARGET_SECONDS,
) -> dict[str, dict[str, Any]]:
    """Times ``cases`` round-robin; per case key: its median (µs), its samples, its ``n``, its speed
    against ``baseline``'s median (``vs_<baseline>``, when given) and, for every case but ``ours``,
    ``ours_speed_paired``: its time over ours in the same round, median over rounds (> 1: ours faster).
    Each round times every case back to back, so load that drifts between rounds cancels out."""
    round_robin(cases, rounds=rounds, target=target)
    base = next((median_us(c) for c in cases if c.key == baseline), None)
    mine = next((c for c in cases if c.key == ours), None)
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        us = median_us(case)
        row: dict[str, Any] = {"us": round(us, 3)}
        if baseline is not None:
            row[f"vs_{baseline.lower()}"] = round(base / us, 2) if base else None
        row["samples_us"] = [round(s * 1e6, 3) for s in case.samples]
        row["n"] = case.n
        if mine is not None and case is not mine:
            paired = [theirs / m for theirs, m in zip(case.samples, mine.samples, strict=True)]
            row["ours_speed_paired"] = round(statistics.median(paired), 3)
        rows[case.key] = row
    return rows


def write_json(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return path
