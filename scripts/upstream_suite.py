"""Run djangorestframework-simplejwt's own test suite on upstream, then with our modules swapped in.

    python scripts/upstream_suite.py --wheel WHEEL [--work target/upstream-suite] [--version 5.5.1 ...]

For each upstream release in VERSIONS:

1. its sdist comes from PyPI (``pip download --no-binary :all:``), once, into the work dir;
2. a venv of its own (cached; rebuilt when its requirements below change) gets that release of
   simplejwt with the Django, DRF and PyJWT of its time, and our wheel;
3. the sdist's ``tests/`` run twice, side by side: as shipped ("upstream on itself"), and with
   ``rest_framework_simplejwt.{backends,tokens,serializers,authentication}`` rewritten to
   ``simplejwt_rs.*`` (the migration guide's step 4), ``simplejwt_rs`` added to INSTALLED_APPS
   and the serializer settings pointed at ours ("ours");
4. it prints ``upstream on itself: N passed, M failed; ours: N passed, M failed`` (tests and
   subtests, as pytest counts them), and every test that passes upstream but fails ours, each
   with the entry of ``upstream_differences.txt`` that matches it: the numbered deliberate
   difference of docs/security.md it is due to, and why.

Exit status 1 when such a test matches no entry, an entry names a difference docs/security.md does not
list, a run could not run, or a run passed fewer tests than its release's ``Stack.passed`` says
(each side has a floor: a suite that fails to import or collect, on both sides alike, would
otherwise pass as "no difference"); ``make test-upstream`` builds the wheel and calls this.
Standard library only: it runs on the dev venv, whatever that has installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLE = HERE / "upstream_differences.txt"
DIFFERENCES = ROOT / "docs" / "security.md"  # the docs site's security model: the numbered differences
PLUGIN = "upstream_suite_plugin"  # scripts/upstream_suite_plugin.py: writes each run's outcomes


@dataclass(frozen=True)
class Stack:
    """An upstream release and what its tests run on: the CPython versions to try, in order, and pins."""

    pythons: tuple[str, ...]
    requirements: tuple[str, ...]
    # The fewest tests (and subtests) that must pass: (upstream on itself, ours), as measured when last changed.
    passed: tuple[int, int]


COMMON = ("python-jose==3.3.0", "freezegun>=1.2", "pytest>=9.0,<10", "pytest-django>=4.9")  # pytest 9: subtests
VERSIONS = {
    # The newest release on the newest Django LTS, DRF and PyJWT.  PyJWT >= 2.11 checks that an
    # EC key's curve fits ES384/ES512: upstream's tests use a P-256 key for both, so 12 of its
    # subtests fail on itself (not ours to fix; the core refuses that too).
    "5.5.1": Stack(
        ("3.12", "3.13", "3.11", "3.10"),
        ("Django==5.2.*", "djangorestframework==3.16.*", "PyJWT[crypto]==2.15.*", *COMMON),
        passed=(202, 175),  # of 214; 2026-12-06 (6 read OutstandingToken.token: difference 20; 1 difference 21)
    ),
    # The oldest release we support, on the stack of its day.
    "5.3.1": Stack(
        ("3.10", "3.11", "3.12"),
        ("Django==4.2.*", "djangorestframework==3.14.0", "PyJWT[crypto]==2.8.*", *COMMON),
        passed=(187, 160),  # of 187; 2026-12-06 (2 read OutstandingToken.token: difference 20; 1 difference 21)
    ),
}

# The modules we mirror (the rest of upstream's package, e.g. models and token_blacklist, stays upstream's).
MIRRORED = ("backends", "tokens", "serializers", "authentication")
# Set explicitly (the README's migration guide needs none of them: upstream's views map their defaults to ours).
SERIALIZERS = {
    "TOKEN_OBTAIN_SERIALIZER": "TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "TokenBlacklistSerializer",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": "TokenObtainSlidingSerializer",
    "SLIDING_TOKEN_REFRESH_SERIALIZER": "TokenRefreshSlidingSerializer",
}


def log(message: str) -> None:
    print(message, flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise SystemExit(f"failed ({result.returncode}): {' '.join(cmd)}\n{output}")


# --- the sdist, the venv ---------------------------------------------------------------------------


def sdist(version: str, work: Path) -> Path:
    """Upstream's sdist for ``version``, downloaded once."""
    folder = work / "sdists"
    found = sorted(folder.glob(f"djangorestframework_simplejwt-{version}.tar.gz"))
    if not found:
        log(f"  downloading the sdist of djangorestframework-simplejwt {version} from PyPI")
        folder.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             "-d", str(folder), f"djangorestframework-simplejwt=={version}"])  # fmt: skip
        found = sorted(folder.glob(f"djangorestframework_simplejwt-{version}.tar.gz"))
        if not found:
            raise SystemExit(f"pip download left no djangorestframework_simplejwt-{version}.tar.gz in {folder}")
    return found[0]


def interpreter(candidates: tuple[str, ...]) -> str:
    """The first ``pythonX.Y`` that runs, on PATH or in pyenv; else the one running this script."""
    for minor in candidates:
        for path in (shutil.which(f"python{minor}"), pyenv_python(minor)):
            if path and subprocess.run([path, "-c", "pass"], capture_output=True).returncode == 0:
                return path
    return sys.executable


def pyenv_python(minor: str) -> str | None:
    if not shutil.which("pyenv"):
        return None
    env = {**os.environ, "PYENV_VERSION": minor}
    result = subprocess.run(["pyenv", "which", f"python{minor}"], capture_output=True, text=True, env=env)
    return result.stdout.strip() or None


def venv(version: str, stack: Stack, work: Path, wheel: Path) -> Path:
    """The venv for ``version``: created once per set of requirements; our wheel reinstalled every run."""
    path = work / "venvs" / version
    python = path / "bin" / "python"
    wanted = "\n".join((f"djangorestframework-simplejwt=={version}", *stack.requirements))
    stamp = path / "requirements.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        base = interpreter(stack.pythons)
        log(f"  creating the venv for {version} ({base}); cached in {path}")
        shutil.rmtree(path, ignore_errors=True)
        run([base, "-m", "venv", str(path)])
        (path / "wanted.txt").write_text(wanted)
        run([str(python), "-m", "pip", "install", "-q", "-r", str(path / "wanted.txt")])
        stamp.write_text(wanted)
    run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)])
    return python


# --- the two copies of the suite -----------------------------------------------------------------

MIRRORED_PATH = re.compile(rf"\brest_framework_simplejwt\.({'|'.join(MIRRORED)})\b")
FROM_PACKAGE = re.compile(r"^(\s*)from rest_framework_simplejwt import ([\w, ]+)$", re.MULTILINE)


def rewrite(source: str) -> str:
    """Point a test module at our modules: dotted paths (imports, ``patch`` targets, settings) and
    ``from rest_framework_simplejwt import tokens, ...``."""

    def split_import(match: re.Match[str]) -> str:
        indent, names = match.group(1), [name.strip() for name in match.group(2).split(",")]
        ours = [name for name in names if name.split(" as ")[0] in MIRRORED]
        theirs = [name for name in names if name not in ours]
        groups = (("rest_framework_simplejwt", theirs), ("simplejwt_rs", ours))
        return "\n".join(f"{indent}from {package} import {', '.join(names)}" for package, names in groups if names)

    return FROM_PACKAGE.sub(split_import, MIRRORED_PATH.sub(r"simplejwt_rs.\1", source))


INSTALLED = '"rest_framework_simplejwt.token_blacklist",\n'
SIMPLE_JWT = "        SIMPLE_JWT={\n"


def rewrite_conftest(source: str) -> str:
    """Our app in INSTALLED_APPS (required), and the serializer settings the migration guide sets."""
    for anchor in (INSTALLED, SIMPLE_JWT):
        if source.count(anchor) != 1:
            raise SystemExit(f"upstream's tests/conftest.py changed shape: {anchor.strip()!r} is not there once")
    indent = " " * 12
    source = source.replace(INSTALLED, f'{INSTALLED}{indent}"simplejwt_rs",\n')
    settings = "".join(f'{indent}"{name}": "simplejwt_rs.serializers.{cls}",\n' for name, cls in SERIALIZERS.items())
    return source.replace(SIMPLE_JWT, SIMPLE_JWT + settings)


def copy_suite(archive: Path, dest: Path, ours: bool) -> None:
    """``tests/`` and ``pytest.ini`` from the sdist into ``dest`` (fresh), rewritten for ``ours``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2 or not (parts[1] == "tests" or parts[1:] == ("pytest.ini",)) or not member.isfile():
                continue
            target = dest.joinpath(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if ours and target.suffix == ".py":
                text = data.decode()
                text = rewrite(text)
                if target.name == "conftest.py" and target.parent.name == "tests":
                    text = rewrite_conftest(text)
                data = text.encode()
            target.write_bytes(data)


def start_suite(python: Path, where: Path, outcomes: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(HERE), "UPSTREAM_SUITE_OUTCOMES": str(outcomes)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", PLUGIN, "-o", "addopts=",
           "--continue-on-collection-errors", "tests"]  # fmt: skip
    with (where.parent / f"{where.name}.log").open("wb") as out:
        return subprocess.Popen(cmd, cwd=where, env=env, stdout=out, stderr=subprocess.STDOUT)


# --- the table of deliberate differences -----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    pattern: str
    regex: re.Pattern[str]
    number: int
    reason: str
    line: int


def readme_differences() -> dict[int, str]:
    """docs/security.md's numbered deliberate differences: number -> its bold title."""
    text = DIFFERENCES.read_text()
    start = text.index("## Deliberate differences from upstream, and why")
    section = text[start : text.find("\n#", start + 1)]
    found = {}
    for number, item in re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", section, re.MULTILINE | re.DOTALL):
        item = " ".join(item.split())
        title = re.search(r"\*\*(.+?)\*\*", item)
        found[int(number)] = (title.group(1) if title else item[:60]).rstrip(".:")
    return found


def load_table(known: dict[int, str]) -> tuple[list[Entry], list[str]]:
    """The entries of the table, and its problems (a malformed line, a number docs/security.md does not list)."""
    entries, problems = [], []
    for lineno, line in enumerate(TABLE.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split("|")]
        if len(fields) != 3 or not fields[1].isdigit() or not fields[0] or not fields[2]:
            problems.append(f"{TABLE.name}:{lineno}: not 'test id pattern | difference number | reason'")
            continue
        number = int(fields[1])
        if number not in known:
            problems.append(f"{TABLE.name}:{lineno}: difference {number} is not in docs/security.md's numbered list")
            continue
        regex = re.compile(".*".join(map(re.escape, fields[0].split("*"))))
        entries.append(Entry(fields[0], regex, number, fields[2], lineno))
    return entries, problems


def match(test: str, entries: list[Entry]) -> Entry | None:
    return next((entry for entry in entries if entry.regex.fullmatch(test)), None)


# --- one version -------------------------------------------------------------------------------------


def outcomes(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def counts(results: dict[str, str]) -> str:
    passed = sum(1 for value in results.values() if value == "passed")
    failed = sum(1 for value in results.values() if value == "failed")
    return f"{passed} passed, {failed} failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="our wheel (make test-upstream builds it)")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "upstream-suite")
    parser.add_argument("--version", action="append", choices=sorted(VERSIONS), help="default: all")
    args = parser.parse_args()
    versions = args.version or list(VERSIONS)
    work: Path = args.work.resolve()
    wheel: Path = args.wheel.resolve()

    known = readme_differences()
    entries, problems = load_table(known)
    started = time.monotonic()

    def prepare(version: str) -> Path:
        archive = sdist(version, work)
        for side in ("itself", "ours"):
            copy_suite(archive, work / version / side, ours=side == "ours")
        return venv(version, VERSIONS[version], work, wheel)

    with ThreadPoolExecutor(len(versions)) as pool:
        pythons = dict(zip(versions, pool.map(prepare, versions), strict=True))
    runs = {}
    for version in versions:
        for side in ("itself", "ours"):
            result = work / version / f"{side}.json"
            result.unlink(missing_ok=True)
            runs[version, side] = (start_suite(pythons[version], work / version / side, result), result)

    used: set[int] = set()
    unmatched = 0
    for version in versions:
        results = {}
        for side in ("itself", "ours"):
            process, path = runs[version, side]
            code = process.wait()
            results[side] = outcomes(path)
            if code not in (0, 1) or not results[side]:  # 1: some tests failed; anything else: it did not run
                problems.append(f"{version} {side}: pytest exited {code}; see {work / version / side}.log")
            floor = VERSIONS[version].passed[0 if side == "itself" else 1]
            passed = sum(1 for value in results[side].values() if value == "passed")
            if passed < floor:
                problems.append(
                    f"{version} {side}: {passed} tests passed, fewer than the {floor} it passes "
                    f"(a collection or import failure?); see {work / version / side}.log"
                )
        log(f"djangorestframework-simplejwt {version} ({stack_line(pythons[version])})")
        if all(results.values()):
            unmatched += report(results["itself"], results["ours"], entries, known, used)
    for entry in entries:
        if entry.line not in used and set(versions) == set(VERSIONS):
            log(f"note: {TABLE.name}:{entry.line} ({entry.pattern}) matched no test: stale?")
    log(f"(tests and subtests count one each; {time.monotonic() - started:.0f} s; logs in {work})")
    for problem in problems:
        log(f"ERROR: {problem}")
    if unmatched:
        log(f"ERROR: {unmatched} test(s) pass upstream but fail ours with no entry in {TABLE.relative_to(ROOT)}")
    return 1 if unmatched or problems else 0


def report(
    itself: dict[str, str], ours: dict[str, str], entries: list[Entry], known: dict[int, str], used: set[int]
) -> int:
    """Print the counts, and each test that passes upstream but fails ours with its entry; return how many have none."""
    log(f"  upstream on itself: {counts(itself)}; ours: {counts(ours)}")
    regressions = sorted(test for test, value in itself.items() if value == "passed" and ours.get(test) != "passed")
    log(f"  passes upstream, fails ours: {len(regressions)}")
    unmatched = 0
    for test in regressions:
        entry = match(test, entries)
        if entry is None:
            unmatched += 1
            log(f"    UNMATCHED  {test} ({ours.get(test, 'not run')})")
            continue
        used.add(entry.line)
        log(f"    {test}\n      -> difference {entry.number} ({known[entry.number]}): {entry.reason}")
    fixed = sorted(test for test, value in itself.items() if value == "failed" and ours.get(test) == "passed")
    if fixed:
        log(f"  fails upstream, passes ours: {len(fixed)}")
        for test in fixed:
            log(f"    {test}")
    return unmatched


def stack_line(python: Path) -> str:
    code = (
        "import sys, importlib.metadata as m; print(f'CPython {sys.version.split()[0]}, ' + ', '.join("
        "f'{n} {m.version(n)}' for n in ('Django', 'djangorestframework', 'PyJWT')))"
    )
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
