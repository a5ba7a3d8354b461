"""dj-rest-auth's own test suite (its PyPI sdist), without simplejwt_rs and with it plus PATCH_UPSTREAM_CLASSES.

    python tests/clients/dj_rest_auth_suite.py --work target/clients --ours-from .venv/bin/python

Run by the interpreter of a venv holding tests/clients/requirements-suite.txt
(`make test-clients` builds it).  Downloads and unpacks the sdist once, runs
its tests twice in parallel with its own settings (plus, in both runs, a fast
password hasher and Django's test runner instead of its XML one), and prints
per run the passed/failed/error/skipped counts.  Fails when a test that passes
without simplejwt_rs fails with it, when the run with it did not have
upstream's classes patched, or when any run (the one without us included)
collected fewer than COLLECTED tests or passed fewer than PASSED: a suite that
fails to import or to collect must not pass as "no difference".
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

VERSION = "7.1.1"
# dj-rest-auth 7.1.1's suite: 70 tests, of which 69 pass here in every run (test_http_error needs the network).
COLLECTED = 70
PASSED = 69
SETTINGS_MODULE = "simplejwt_rs_suite_settings"
PATCHED = "simplejwt_rs: upstream's classes patched"

# A settings module placed next to the suite's own (it imports it), and a runner that says what it ran.
SETTINGS = f'''
import os

from django.test.runner import DiscoverRunner

from tests.settings import *  # noqa: F403  (dj-rest-auth's own test settings)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # both runs: fast, and equal
TEST_RUNNER = "{SETTINGS_MODULE}.Runner"
if os.environ.get("WITH_SIMPLEJWT_RS") in ("1", "rotating"):
    INSTALLED_APPS = [*INSTALLED_APPS, "simplejwt_rs"]  # noqa: F405
    SIMPLE_JWT = {{"PATCH_UPSTREAM_CLASSES": True}}
if os.environ.get("WITH_SIMPLEJWT_RS") == "rotating":  # single-use rotation with reuse detection on
    SIMPLE_JWT.update(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)


class Runner(DiscoverRunner):
    def run_suite(self, *args, **kwargs):
        try:
            from simplejwt_rs import upstream_patch
        except ImportError:
            pass
        else:
            if upstream_patch.applied():
                print("{PATCHED}", flush=True)
        return super().run_suite(*args, **kwargs)
'''

# unittest -v: "test_x (module.Class.test_x) ... ok", or, for a test with a docstring, the id on one line
# and "<its first docstring line> ... ok" on the next.
TEST_ID = re.compile(r"^test\w* \(([\w.]+)\)")
RESULT = re.compile(r" \.\.\. (ok|FAIL|ERROR|skipped|expected failure|unexpected success)")


def unpack(work: Path) -> Path:
    root = work / f"dj_rest_auth-{VERSION}"
    if root.exists():
        return root
    sdist_dir = work / "sdist"
    sdist = sdist_dir / f"dj_rest_auth-{VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + [f"dj-rest-auth=={VERSION}", "-d", str(sdist_dir)],
            check=True,
        )
    with tarfile.open(sdist) as archive:
        archive.extractall(work, filter="data")
    return root


def ours_dir(work: Path, ours_from: str) -> Path:
    """A directory holding only simplejwt_rs (a link to the package ``ours_from`` imports)."""
    package = subprocess.run(
        [ours_from, "-c", "import os, simplejwt_rs; print(os.path.dirname(simplejwt_rs.__file__))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    holder = work / "ours"
    holder.mkdir(exist_ok=True)
    link = holder / "simplejwt_rs"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(package, target_is_directory=True)
    return holder


# Each run: its label, and WITH_SIMPLEJWT_RS for the settings module above.
RUNS = {
    "without simplejwt_rs": "0",
    "with simplejwt_rs + PATCH_UPSTREAM_CLASSES": "1",
    "the same + single-use rotation (ROTATE_REFRESH_TOKENS, BLACKLIST_AFTER_ROTATION)": "rotating",
}


def start(root: Path, ours: Path, mode: str, log: Path) -> subprocess.Popen:
    paths = [str(root / "dj_rest_auth"), str(root)] + ([str(ours)] if mode != "0" else [])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "WITH_SIMPLEJWT_RS": mode,
    }
    command = [sys.executable, "-m", "django", "test", "tests", "-v", "2", "--noinput"]
    return subprocess.Popen(command, cwd=root / "dj_rest_auth", env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def outcomes(log: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    pending = None
    for line in log.read_text().splitlines():
        test_id = TEST_ID.match(line)
        if test_id:
            pending = test_id.group(1)
        result = RESULT.search(line)
        if result and pending:
            found[pending] = result.group(1)
            pending = None
    return found


def summary(found: dict[str, str]) -> str:
    counts = {kind: sum(1 for v in found.values() if v == kind) for kind in ("ok", "FAIL", "ERROR", "skipped")}
    return (
        f"{len(found)} tests: {counts['ok']} passed, {counts['FAIL']} failed, {counts['ERROR']} errors, "
        f"{counts['skipped']} skipped"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("target/clients"))
    parser.add_argument("--ours-from", default=sys.executable, help="a Python that imports simplejwt_rs")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    root = unpack(work)
    (root / "dj_rest_auth" / f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
    ours = ours_dir(work, args.ours_from)

    began = time.monotonic()
    logs = {label: work / f"suite-{mode}.log" for label, mode in RUNS.items()}
    runs = [start(root, ours, mode, logs[label]) for label, mode in RUNS.items()]
    for run in runs:
        run.wait()
    seconds = time.monotonic() - began
    results = {label: outcomes(log) for label, log in logs.items()}
    baseline_label, *ours_labels = RUNS
    baseline = results[baseline_label]
    print(f"dj-rest-auth {VERSION} suite ({seconds:.0f} s, {len(RUNS)} runs in parallel; logs in {work}):")
    for label, found in results.items():
        print(f"  {label}: {summary(found)}")
    for name, outcome in sorted(baseline.items()):
        if outcome != "ok":
            print(f"  fails {baseline_label} too ({outcome}): {name}")

    problems = []
    for label, found in results.items():
        passed = sum(1 for outcome in found.values() if outcome == "ok")
        if len(found) < COLLECTED or passed < PASSED:
            problems.append(
                f"{label}: {len(found)} tests collected, {passed} passed; expected at least {COLLECTED} and {PASSED}"
            )
    for label in ours_labels:
        found = results[label]
        if PATCHED not in logs[label].read_text():
            problems.append(f"{label}: upstream's classes were not patched")
        if not found or not baseline:
            log = logs[label] if not found else logs[baseline_label]
            problems.append(f"a run collected no tests; {log.name} ends:\n{log.read_text()[-3000:]}")
            continue
        if set(baseline) != set(found):
            problems.append(f"{label}: other tests collected: {sorted(set(baseline) ^ set(found))}")
        problems += [
            f"passes {baseline_label}, {found[name]} {label}: {name}"
            for name, outcome in sorted(baseline.items())
            if outcome == "ok" and found.get(name, "ok") != "ok"
        ]
    for problem in problems:
        print(f"  FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
