"""Turn docs/benchmarks/*.json into docs/benchmarks/README.md (the docs site's benchmarks page) and ratios.png.

.venv-bench/bin/python bench/report.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import OUT, ROOT  # noqa: E402

OURS, PYJWT, STOCK = "simplejwt-rs", "PyJWT", "stock simplejwt"
PEERS = ("ryjwt", "oxyjwt", "pyjwt-rs", "webtoken")
LIBS = (OURS, PYJWT, *PEERS)


def load(name: str) -> dict[str, Any] | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def us(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def fastest_peer(rows: dict[str, Any]) -> tuple[str, float] | None:
    peers = [(name, rows[name]["us"]) for name in PEERS if name in rows]
    return min(peers, key=lambda p: p[1]) if peers else None


def speed_vs(rows: dict[str, Any], peer: str) -> float:
    """How many times faster ours is than `peer`: the paired ratio (its time over ours within each
    round, median over rounds; load drifting between rounds cancels) where core.json has it,
    else the ratio of the medians."""
    paired = rows[peer].get("ours_speed_paired")
    return paired if paired is not None else rows[peer]["us"] / rows[OURS]["us"]


def core_table(core: dict[str, Any]) -> tuple[str, list[str]]:
    head = "| operation | " + " | ".join(LIBS) + " | ours vs fastest peer |"
    lines = [head, "|---" * (len(LIBS) + 2) + "|"]
    notes: list[str] = []
    for alg, entry in core["algorithms"].items():
        for op in ("decode", "encode"):
            rows = entry[op]
            cells = []
            for lib in LIBS:
                if lib in rows:
                    r = rows[lib]
                    ratio = "" if lib == PYJWT else f" ({r['vs_pyjwt']:.1f}×)"
                    cell = f"{us(r['us'])}{ratio}"
                    cells.append(f"**{cell}**" if lib == OURS else cell)
                else:
                    cells.append("not timed¹" if lib in entry["not_timed"] else "—")
            peer = fastest_peer(rows)
            versus = f"{speed_vs(rows, peer[0]):.2f}× ({peer[0]})" if peer and OURS in rows else "—"
            lines.append(f"| {alg} {op} | " + " | ".join(cells) + f" | {versus} |")
        for lib, why in entry["not_timed"].items():
            notes.append(f"{alg}: {lib} — {why}")
    return "\n".join(lines), notes


def django_table(dj: dict[str, Any]) -> str:
    lines = [
        f"| operation | {STOCK} µs | queries | {OURS} µs | queries | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for name, sides in dj["operations"].items():
        s, o = sides[STOCK], sides[OURS]
        lines.append(
            f"| {name} | {us(s['us'])} | {s['data_queries']} ({s['queries']}) "
            f"| **{us(o['us'])}** | {o['data_queries']} ({o['queries']}) | **{o['vs_stock']:.2f}×** |"
        )
    return "\n".join(lines)


def http_table(http: dict[str, Any]) -> str:
    lines = [
        f"| endpoint | {STOCK} req/s | p50 ms | p99 ms | {OURS} req/s | p50 ms | p99 ms "
        "| req/s ratio (range) | p99 ratio | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, sides in http["endpoints"].items():
        s, o = sides[STOCK], sides[OURS]
        lo, hi = o.get("rps_vs_stock_range", [o["rps_vs_stock"]] * 2)
        lines.append(
            f"| {name} | {s['rps']:.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} "
            f"| **{o['rps']:.0f}** | {o['p50_ms']:.1f} | {o['p99_ms']:.1f} "
            f"| **{o['rps_vs_stock']:.2f}×** ({lo:.2f}–{hi:.2f}) "
            f"| {o['p99_vs_stock']:.2f}× | {s['errors']} / {o['errors']} |"
        )
    return "\n".join(lines)


def targets(
    core: dict[str, Any] | None,
    dj: dict[str, Any] | None,
    http: dict[str, Any] | None,
    instr: dict[str, Any] | None = None,
) -> list[tuple]:
    """(target, measured, met) for issue 6's targets that these tables can decide."""
    out: list[tuple[str, str, bool | None]] = []
    if core:
        algs = core["algorithms"]
        for op, need in (("decode", 40), ("encode", 50)):
            rows = algs["HS256"][op]
            o = rows[OURS]
            peer = fastest_peer(rows)
            assert peer is not None
            out.append((f"HS256 {op} ≥ {need}× PyJWT", f"{o['vs_pyjwt']:.1f}×", o["vs_pyjwt"] >= need))
            vs = speed_vs(rows, peer[0])
            out.append((f"HS256 {op} ≥ 1.2× the fastest peer", f"{vs:.2f}× ({peer[0]}, {us(peer[1])} µs)", vs >= 1.2))
            ry = rows.get("ryjwt")
            if ry:
                vs = speed_vs(rows, "ryjwt")
                out.append(
                    (
                        f"HS256 {op} no slower than ryjwt (wall clock)",
                        f"{vs:.2f}× (medians {us(o['us'])} vs {us(ry['us'])} µs)",
                        vs >= 1,
                    )
                )
        for alg in ("RS256", "ES256", "EdDSA"):
            rows = algs[alg]["decode"]
            peer = fastest_peer(rows)
            assert peer is not None
            vs = speed_vs(rows, peer[0])
            out.append(
                (
                    f"{alg} verify no slower than the fastest peer",
                    f"{vs:.2f}× {peer[0]} (medians {us(rows[OURS]['us'])} vs {us(peer[1])} µs)",
                    vs >= 1,
                )
            )
        floor = core.get("rsa_floor")
        if floor:
            sign = algs["RS256"]["encode"][OURS]["us"]
            over = sign / floor["sign_us"] - 1
            out.append(
                (
                    "RS256 sign within 10% of a bare aws-lc RSA-2048 signature",
                    f"{us(sign)} vs {us(floor['sign_us'])} µs ({over:+.0%})",
                    over <= 0.10,
                )
            )
    if dj:
        ops = dj["operations"]
        a = ops["AccessToken(raw)"][OURS]["vs_stock"]
        out.append(("AccessToken(raw) ≥ 25× stock", f"{a:.1f}×", a >= 25))
        rot = ops["TokenRefreshSerializer (rotate + blacklist)"]
        q_o, q_s = rot[OURS]["data_queries"], rot[STOCK]["data_queries"]
        out.append(("rotate + blacklist: ≤ half of stock's SQL queries", f"{q_o} vs {q_s}", q_o * 2 <= q_s))
        sp = rot[OURS]["vs_stock"]
        out.append(("rotate + blacklist: ≥ 2× stock's speed (serializer)", f"{sp:.2f}×", sp >= 2))
        d = ops["TokenRefreshSerializer (default)"]
        ok = d[OURS]["data_queries"] <= d[STOCK]["data_queries"] and d[OURS]["vs_stock"] > 1
        out.append(
            (
                "refresh (default): no more queries than stock, and faster",
                f"{d[OURS]['data_queries']} vs {d[STOCK]['data_queries']} queries, {d[OURS]['vs_stock']:.2f}×",
                ok,
            )
        )
    if http:
        for name, sides in http["endpoints"].items():
            o = sides[OURS]
            ok = o["rps_vs_stock"] > 1 and o["p99_vs_stock"] < 1 and o["errors"] == 0
            measured = f"{o['rps_vs_stock']:.2f}× req/s, {o['p99_vs_stock']:.2f}× p99"
            if o["errors"]:
                measured += f", {o['errors']} errors"
            out.append((f"HTTP {name}: more req/s and lower p99 than stock", measured, ok))
        rot = http["endpoints"].get("refresh (rotate + blacklist)")
        if rot:
            r = rot[OURS]["rps_vs_stock"]
            out.append(("HTTP rotate + blacklist: ≥ 2× stock's throughput", f"{r:.2f}×", r >= 2))
    if instr:
        r = instr["rows"]
        for op in ("decode", "encode"):
            o, p = r[f"ours {op}"]["instructions"], r[f"ryjwt {op}"]["instructions"]
            out.append((f"HS256 {op}: fewer instructions per call than ryjwt", f"{o:,} vs {p:,}", o < p))
        o, d = r["ours decoder"]["instructions"], r["ours decode"]["instructions"]
        out.append(("the bound decoder no dearer than Codec.decode", f"{o:,} vs {d:,} instructions", o <= d))
    out.append(("Resident memory flat over a million decodes", "see bench/leakcheck.py (not in this harness)", None))
    return out


def instructions_table(instr: dict[str, Any]) -> str:
    lines = [
        "| call | instructions per call | in SHA-256 blocks | the rest, less the loop | vs ryjwt |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in instr["rows"].items():
        peer = instr["rows"].get(f"ryjwt {row['group']}")
        ratio = f"{row['instructions'] / peer['instructions']:.2f}×" if peer and row["group"] != "loop" else ""
        counts = f"{row['instructions']:,} | {row['sha256_blocks']:,} | {row['rest']:,}"
        lines.append(f"| {name}: {row['call']} | {counts} | {ratio} |")
    return "\n".join(lines)


def near_cache_section(near: dict[str, Any], http: dict[str, Any] | None) -> str:
    """bench/near_cache.py (authenticate() in one process) and bench/policy_cache.py's ratios (HTTP)."""
    rows = "\n".join(f"| {name} | {us(case['us'])} |" for name, case in near["cases"].items())
    ratios = "\n".join(f"- {name}: **{value}**" for name, value in near["ratios"].items())
    text = (
        "### Authentication with revocation enforced: the policy near cache\n\n"
        f"bench/near_cache.py: {near['setup']}. Medians of paired rounds (every case back to back in each round); "
        "ratios: medians of the per-round ratios.\n\n| case | µs |\n|---|---:|\n" + rows + "\n\n" + ratios + "\n"
        f"- our part (decode + lookup on the warm near cache): **{near['our_part_us (target < 5)']} µs** "
        "(target < 5)\n"
    )
    if http:
        text += (
            "\nbench/policy_cache.py (HTTP, "
            + http["setup"]["server"]
            + "; "
            + http["setup"]["load"]
            + "):\n\n"
            + "\n".join(f"- {name}: **{value}**" for name, value in http["ratios"].items())
            + "\n"
        )
    return text


def machine_line(m: dict[str, Any]) -> str:
    v = m["versions"]
    libs = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    commit = f" at commit {m['commit']}" if m.get("commit") else ""
    return f"{m['cpu']}, {m['cores']} cores, {m['os']}; CPython {m['python']}; {libs}; measured {m['date']}{commit}"


def chart(core: dict[str, Any] | None, dj: dict[str, Any] | None, http: dict[str, Any] | None) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    path = OUT / "ratios.png"
    panels = (1 if core else 0) + (1 if dj or http else 0)
    if not panels:
        return None
    fig, axes = plt.subplots(1, panels, figsize=(14, 7.5), gridspec_kw={"width_ratios": [3, 2][:panels]})
    axes = [axes] if panels == 1 else list(axes)
    colors = {OURS: "#d62728", "ryjwt": "#1f77b4", "oxyjwt": "#2ca02c", "pyjwt-rs": "#9467bd", "webtoken": "#8c564b"}
    if core:
        ax = axes[0]
        labels = [f"{alg} {op}" for alg in core["algorithms"] for op in ("decode", "encode")]
        libs = [OURS, *PEERS]
        height = 0.8 / len(libs)
        for i, lib in enumerate(libs):
            ys, xs = [], []
            for j, label in enumerate(labels):
                alg, op = label.split()
                row = core["algorithms"][alg][op].get(lib)
                if row:
                    ys.append(j + i * height - 0.4 + height / 2)
                    xs.append(row["vs_pyjwt"])
            ax.barh(ys, xs, height=height, color=colors[lib], label=lib)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}×"))
        ax.axvline(1, color="black", linewidth=1)
        ax.set_xlabel("speed-up over PyJWT (× faster, log scale; 1 = PyJWT)")
        ax.set_title("Core: encode / decode + full access-token checks")
        ax.legend(loc="lower right")
        ax.grid(axis="x", which="both", alpha=0.3)
    if dj or http:
        ax = axes[-1]
        labels, values = [], []
        if dj:
            for name, sides in dj["operations"].items():
                labels.append(name.replace("TokenRefreshSerializer", "refresh serializer"))
                values.append(sides[OURS]["vs_stock"])
        if http:
            for name, sides in http["endpoints"].items():
                labels.append(f"HTTP {name} (req/s)")
                values.append(sides[OURS]["rps_vs_stock"])
        bars = ax.barh(range(len(labels)), values, color=["#d62728" if v >= 1 else "#7f7f7f" for v in values])
        ax.bar_label(bars, labels=[f"{v:.2f}×" for v in values], padding=3)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.axvline(1, color="black", linewidth=1)
        ax.set_xlim(0, max(values) * 1.25)
        ax.set_xlabel("ours vs stock simplejwt 5.5.1 (× faster; 1 = stock)")
        ax.set_title("Django (SQLite) and HTTP (gunicorn + wrk)")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("simplejwt-rs benchmarks (ratios measured in the same run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def matrix_table(matrix: dict[str, Any]) -> str:
    """Rows: algorithm (and RSA key size); columns: token size x operation; cells: µs ours / ryjwt / PyJWT,
    and ours vs ryjwt (paired, > 1: ours faster)."""
    sizes = list(matrix["sizes"])
    head = "| algorithm | " + " | ".join(f"{size} {op}" for size in sizes for op in ("encode", "decode")) + " |"
    lines = [head, "|---|" + "---:|" * (2 * len(sizes))]
    for row, cells in matrix["rows"].items():
        out = []
        for size in sizes:
            for op in ("encode", "decode"):
                sides = cells[size].get(op, {})
                ours_us = sides.get(OURS, {}).get("us")
                ry = sides.get("ryjwt", {})
                py = sides.get("PyJWT", {})
                if ours_us is None or not ry:
                    out.append("n/a")
                    continue
                out.append(
                    f"{us(ours_us)} / {us(ry['us'])} / {us(py.get('us', float('nan')))}<br>"
                    f"**×{ry['ours_speed_paired']:.2f}**"
                )
        lines.append(f"| {row} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def matrix_misses(matrix: dict[str, Any]) -> list[str]:
    """The cells where ours is below ryjwt on HS rows, or more than 10% below elsewhere."""
    misses = []
    for row, cells in matrix["rows"].items():
        floor = 1.0 if row.startswith("HS") else 0.9
        for size, cell in cells.items():
            for op in ("encode", "decode"):
                ratio = cell.get(op, {}).get("ryjwt", {}).get("ours_speed_paired")
                if ratio is not None and ratio < floor:
                    misses.append(f"{row} {size} {op}: ×{ratio:.2f} (target ≥ ×{floor:.1f})")
    return misses


def matrix_chart(matrix: dict[str, Any]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = OUT / "matrix.png"
    sizes = list(matrix["sizes"])
    rows = list(matrix["rows"])
    fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), sharey=True)
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    height = 0.8 / len(sizes)
    for ax, op in zip(axes, ("encode", "decode"), strict=True):
        for i, size in enumerate(sizes):
            xs = [matrix["rows"][row][size].get(op, {}).get("ryjwt", {}).get("ours_speed_paired", 0) for row in rows]
            ys = [j + i * height - 0.4 + height / 2 for j in range(len(rows))]
            ax.barh(ys, xs, height=height, color=colors[i % 3], label=f"{size} ({matrix['sizes'][size]} B)")
        ax.axvline(1, color="black", linewidth=1)
        ax.axvline(0.9, color="grey", linewidth=1, linestyle="--")
        ax.set_yticks(range(len(rows)), rows)
        ax.set_title(f"{op}: ours vs ryjwt (× faster; 1 = ryjwt)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()
    axes[0].legend(loc="lower right")
    fig.suptitle("Token size x algorithm, ours / ryjwt, paired rounds in one run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    core, dj, http = load("core"), load("django"), load("http")
    any_run = core or dj or http
    if not any_run:
        sys.exit("no results in docs/benchmarks/: run `make bench`")
    m = any_run["machine"]
    sections: list[str] = [f"Machine: {machine_line(m)}.\n"]
    if core:
        table, notes = core_table(core)
        sections.append(
            "### Core: µs per operation (× faster than PyJWT)\n\n"
            "The simplejwt access-token payload (`token_type`, `exp`, `iat`, `jti`, `user_id`); decode is the "
            "signature plus every check simplejwt makes (`exp` present and unexpired, `token_type` is `access`, "
            "`jti` present): ours in one call of the bound decoder (`Codec.decoder(...)`, as `AccessToken` uses "
            "it), the others' decode plus the missing checks in Python. "
            f"Medians of {len(next(iter(core['algorithms'].values()))['decode'][OURS]['samples_us'])} "
            "round-robin rounds; the comparisons with peers (last column, targets) take the median of the "
            "per-round ratios instead (each round times every library back to back, so load that drifts "
            "between rounds cancels). "
            "Every library verified every other's tokens first.\n\n" + table + "\n"
        )
        if notes:
            sections.append("¹ Not timed, because it does not interoperate:\n\n" + "\n".join(f"- {n}" for n in notes))
        floor = core.get("rsa_floor")
        if floor:
            sections.append(
                f"\nRS256 floor (bench/rsa_floor, aws-lc-rs directly): sign {us(floor['sign_us'])} µs, "
                f"verify {us(floor['verify_us'])} µs.\n"
            )
    if dj:
        sections.append(
            "### Django paths: µs per operation, SQL queries\n\n"
            f"{dj['database']}, one user, the `token_blacklist` app installed for every row; stock classes with "
            "upstream's settings, ours with the README's migration "
            "settings, timed round-robin in one process. Queries: data statements (all statements including "
            "BEGIN/COMMIT in parentheses), from `CaptureQueriesContext`. Stock made PyJWT calls, ours none "
            "(checked before timing).\n\n" + django_table(dj) + "\n"
        )
    if http:
        sections.append(
            "### HTTP end to end: the demo project\n\n"
            f"{http['setup']['server']}; {http['setup']['load']}. req/s and latencies: medians over slices; "
            "ratios: medians of the per-slice ratios (the two sides of a slice ran back to back), with their "
            "range. Errors: non-2xx responses, stock / ours. `BENCH_SQLITE_TRANSACTION_MODE=DEFERRED` runs Django's "
            "default SQLite transactions instead of IMMEDIATE (see profile.md).\n\n" + http_table(http) + "\n"
        )
    near = load("near_cache")
    if near:
        sections.append(near_cache_section(near, load("policy_cache")))
    instr = load("instructions")
    if instr:
        sections.append(
            "### HS256 instructions per call (callgrind)\n\n"
            "`make bench-instructions` (bench/instructions.py): bench/profile_loop.py under callgrind, "
            f"{instr['short']:,} and {instr['long']:,} calls; the difference of the totals over the difference in "
            "calls is one call, Python's loop included, start-up excluded. Stable where wall clock is not; "
            "valgrind hides SHA-NI, so the SHA-256 blocks cost more here than on the CPU (the same in every "
            f"library). Commit {instr['machine']['commit']}.\n\n" + instructions_table(instr) + "\n"
        )
    matrix = load("matrix")
    if matrix:
        misses = matrix_misses(matrix)
        sections.append(
            "### The peers' matrix: token size x algorithm\n\n"
            "`bench/matrix.py`, as ryjwt publishes its table: tokens of "
            + ", ".join(f"{size} ({n} bytes as HS256)" for size, n in matrix["sizes"].items())
            + "; HS256/384/512, RS256 with 2048-, 3072- and 4096-bit keys, ES256/384/512, EdDSA. Each cell: µs "
            + ("of CPU time (the thread's, `time.thread_time`) " if matrix.get("clock") == "cpu" else "")
            + "per call ours / ryjwt / PyJWT, and in bold ours vs ryjwt (ryjwt's time over ours in the same round, "
            "median over rounds; > 1: ours faster). Decode includes simplejwt's access-token checks, as above. "
            f"Commit {matrix['machine']['commit']}."
            + (
                f" Load average (1/5/15 min) {' / '.join(map(str, matrix['machine']['load_average']))} at the start,"
                f" {' / '.join(map(str, matrix['load_average_end']))} at the end (2 cores, shared)."
                if "load_average" in matrix["machine"] and "load_average_end" in matrix
                else ""
            )
            + "\n\n"
            + matrix_table(matrix)
            + "\n\nTargets: at least ryjwt's speed on every HS cell, within 10% on the others. "
            + ("Missed: " + "; ".join(misses) + " (see profile.md)." if misses else "All met in this run.")
            + "\n\n![matrix](matrix.png)\n"
        )
        matrix_chart(matrix)
    rows = targets(core, dj, http, instr)
    sections.append(
        "### Speed targets\n\n| target | measured | met |\n|---|---|---|\n"
        + "\n".join(f"| {t} | {m_} | {'yes' if ok else 'no' if ok is False else 'n/a'} |" for t, m_, ok in rows)
        + "\n"
    )
    sections.append("Where the time goes in the missed targets, and what would fix it: [profile.md](profile.md).\n")
    chart(core, dj, http)
    body = "\n".join(sections)
    # The benchmarks' one home is this page of the docs site (docs/benchmarks/); the README links to it.
    (OUT / "README.md").write_text(
        "# Benchmarks\n\nGenerated by `make bench` (bench/report.py) from the JSON files next to this one.\n\n"
        "`make bench` (about 6 minutes on this 2-core machine, plus the first install) "
        "builds its own `.venv-bench` on CPython 3.12, runs three tables side by side, each in one process run, "
        "and writes `docs/benchmarks/` (JSON, the Markdown below, the chart). The machine is shared and noisy: "
        "compare the ratios, which come from the same run, rather than absolute times.\n\n"
        + body
        + "\n![ratios](ratios.png)\n"
    )
    print(f"wrote {OUT.relative_to(ROOT)}/README.md and ratios.png", file=sys.stderr)


if __name__ == "__main__":
    main()
