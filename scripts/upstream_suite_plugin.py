"""A pytest plugin for scripts/upstream_suite.py: each test's and subtest's outcome, as JSON.

Loaded with ``-p upstream_suite_plugin``; writes ``{test id: "passed" | "failed" | "skipped"}`` to
the file named by ``UPSTREAM_SUITE_OUTCOMES`` when the session ends.  A subtest's id is its test's
id, its description (``[msg] (params)``) and, when upstream reuses one description in a test, a
``#n`` ordinal.  A module that fails to import is one failed test, ``<module> (collection)``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

results: dict[str, str] = {}
seen: Counter[str] = Counter()


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        results[f"{report.nodeid} (collection)"] = "failed"


def pytest_runtest_logreport(report: Any) -> None:
    context = getattr(report, "context", None)  # a subtest's report (pytest >= 9)
    if context is not None:
        describe = getattr(report, "_sub_test_description", None)
        test = f"{report.nodeid} {describe() if describe else context.msg}"
        seen[test] += 1
        if seen[test] > 1:
            test = f"{test} #{seen[test]}"
        results[test] = outcome(report)
        return
    previous = results.get(report.nodeid)
    if report.when == "call" or previous is None or outcome(report) == "failed":
        if previous != "failed":
            results[report.nodeid] = outcome(report)


def outcome(report: Any) -> str:
    if hasattr(report, "wasxfail"):
        return "skipped"  # xfail: neither passed nor failed (xfail_strict turns an XPASS into a failure)
    return report.outcome


def pytest_sessionfinish() -> None:
    path = os.environ.get("UPSTREAM_SUITE_OUTCOMES")
    if path:
        with open(path, "w") as out:
            json.dump(results, out, indent=1, sort_keys=True)
