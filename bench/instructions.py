"""Instructions per HS256 call, ours and ryjwt's, counted by callgrind (stable on a noisy machine).

Each (library, operation) runs bench/profile_loop.py under callgrind twice, with
SHORT and LONG calls; the difference of the two totals divided by the
difference in calls is the cost of one call, Python's loop included (the
same for every library), start-up and set-up excluded.  The SHA-256 block
functions are counted apart: the same four blocks in every library (valgrind
hides SHA-NI, so they cost more here than on the CPU).

    make bench-instructions      (writes docs/benchmarks/instructions.json)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402

LOOP = Path(__file__).resolve().parent / "profile_loop.py"
SHORT = int(os.environ.get("INSTRUCTIONS_SHORT", "2000"))
LONG = int(os.environ.get("INSTRUCTIONS_LONG", "12000"))
CASES = (
    ("decode", "ours", "decode", "Codec.decode(t, token_type='access', jti_claim='jti', require_exp=True)"),
    ("decode", "ours", "decoder", "Codec.decoder(...)(t), as AccessToken calls it"),
    ("decode", "ryjwt", "decode", "SecretKey.decode(t) (exp only)"),
    ("encode", "ours", "encode", "Codec.encode(payload)"),
    ("encode", "ryjwt", "encode", "SecretKey.encode(payload)"),
    ("loop", "empty", "loop", "the Python loop alone"),
)


def callgrind(lib: str, op: str, n: int) -> tuple[int, int]:
    """(all instructions, instructions in SHA-256 block functions) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, str(LOOP), lib, op, str(n)],
            check=True,
            capture_output=True,
            # One string-hash seed for every run: with random seeds, dict probing moved a
            # library's count by ±20 instructions a call between runs, as much as some margins.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        annotated = subprocess.run(
            ["callgrind_annotate", "--threshold=100", str(out)], check=True, capture_output=True, text=True
        ).stdout
    total = sha = 0
    for line in annotated.splitlines():
        match = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)", line)
        if not match:
            continue
        count = int(match.group(1).replace(",", ""))
        what = match.group(2)
        if "PROGRAM TOTALS" in what:
            total = count
        elif "sha256_block" in what:
            sha += count
    if not total:
        raise SystemExit(f"no total in callgrind_annotate's output for {lib} {op}")
    return total, sha


def per_call(lib: str, op: str) -> dict[str, int]:
    short_total, short_sha = callgrind(lib, op, SHORT)
    long_total, long_sha = callgrind(lib, op, LONG)
    calls = LONG - SHORT
    return {
        "instructions": round((long_total - short_total) / calls),
        "sha256_blocks": round((long_sha - short_sha) / calls),
    }


def main() -> None:
    # Two at a time: each valgrind run uses one core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = {
            f"{lib} {op}": pool.submit(per_call, lib, "decode" if op == "loop" else op) for _, lib, op, _ in CASES
        }
        print(f"callgrind: {len(CASES)} calls, {SHORT} and {LONG} times each", file=sys.stderr)
        rows = {
            f"{lib} {op}": {"group": group, "call": what, **counted[f"{lib} {op}"].result()}
            for group, lib, op, what in CASES
        }
    loop = rows["empty loop"]["instructions"]
    print()
    print("| call | instructions per call | SHA-256 blocks | the rest (less the loop) | vs ryjwt |")
    print("|---|---:|---:|---:|---:|")
    for name, row in rows.items():
        peer = rows.get(f"ryjwt {row['group']}")
        ratio = f"{row['instructions'] / peer['instructions']:.2f}x" if peer and row["group"] != "loop" else ""
        rest = row["instructions"] - row["sha256_blocks"] - (loop if row["group"] != "loop" else 0)
        row["rest"] = rest
        print(f"| {name}: {row['call']} | {row['instructions']:,} | {row['sha256_blocks']:,} | {rest:,} | {ratio} |")
    print()
    targets = {
        "decode: ours below ryjwt": rows["ours decode"]["instructions"] < rows["ryjwt decode"]["instructions"],
        "encode: ours below ryjwt": rows["ours encode"]["instructions"] < rows["ryjwt encode"]["instructions"],
        "bound decoder no dearer than Codec.decode": rows["ours decoder"]["instructions"]
        <= rows["ours decode"]["instructions"],
    }
    for target, met in targets.items():
        print(f"{'met' if met else 'NOT met'}: {target}")
    write_json("instructions", {"machine": machine(), "short": SHORT, "long": LONG, "rows": rows, "targets": targets})


if __name__ == "__main__":
    main()
