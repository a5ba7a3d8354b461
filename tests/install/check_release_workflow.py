"""Check .github/workflows/release.yml, which cannot run here: it parses, and it builds what the README promises.

    python tests/install/check_release_workflow.py [path/to/release.yml]

Needs PyYAML (requirements-dev.txt).  Checks that the workflow:
- runs on version tags (and can be started by hand);
- builds, with PyO3/maturin-action, one abi3 wheel per platform: manylinux and musllinux on x86_64
  and aarch64, macOS x86_64 and aarch64, Windows x64 (``--release --locked --out dist``, no
  per-interpreter builds), plus the sdist;
- smoke-tests the wheels with tests/install/smoke.py on the oldest and the newest CPython;
- publishes only from a tag, only after every build and the smoke tests, by trusted publishing;
- pins every action by commit SHA and maturin by version, checks the sdist with ``twine check --strict``
  and installs it from source and smoke-tests it before publishing (the sdist job), strips the wheels
  (Cargo.toml's ``[profile.release]``), and builds no free-threaded wheel, which the README says is
  unsupported.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIRED_WHEELS = {
    ("manylinux", "x86_64"),
    ("manylinux", "aarch64"),
    ("musllinux", "x86_64"),
    ("musllinux", "aarch64"),
    ("macos", "x86_64"),
    ("macos", "aarch64"),
    ("windows", "x64"),
}
MATURIN_ACTION = "PyO3/maturin-action@"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def expand(value: object, platform: dict[str, object]) -> str:
    """``value`` with ``${{ matrix.platform.X }}`` replaced from one matrix entry."""
    return re.sub(r"\$\{\{\s*matrix\.platform\.(\w+)\s*\}\}", lambda m: str(platform[m.group(1)]), str(value))


def wheel_kind(step: dict, runner: str) -> str:
    manylinux = str(step.get("with", {}).get("manylinux", ""))
    if manylinux.startswith("musllinux"):
        return "musllinux"
    if manylinux:
        return "manylinux"
    if runner.startswith("macos"):
        return "macos"
    if runner.startswith("windows"):
        return "windows"
    raise AssertionError(f"a Linux build without a manylinux/musllinux policy on {runner}")


def check(path: Path) -> list[str]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict), "no `on:` triggers"
    assert "v*" in triggers["push"]["tags"], "does not run on version tags"
    assert "workflow_dispatch" in triggers, "cannot be started by hand"
    jobs: dict[str, dict] = workflow["jobs"]

    built: dict[tuple[str, str], str] = {}
    build_jobs, sdist_jobs = set(), set()
    for name, job in jobs.items():
        for step in job.get("steps", []):
            if not str(step.get("uses", "")).startswith(MATURIN_ACTION):
                continue
            options = step.get("with", {})
            assert options.get("maturin-version") == "${{ env.MATURIN_VERSION }}", f"{name}: maturin not pinned"
            command = options.get("command", "build")
            args = str(options.get("args", "")).split()
            if command == "sdist":
                assert "--out" in args and "dist" in args, f"{name}: sdist not written to dist/"
                sdist_jobs.add(name)
                continue
            assert command == "build", f"{name}: maturin {command}"
            for flag in ("--release", "--locked", "--out"):
                assert flag in args, f"{name}: maturin build without {flag}"
            for flag in ("-i", "--interpreter", "--find-interpreter"):
                # abi3: the one wheel serves every CPython >= 3.10; a per-interpreter build would be a mistake.
                assert flag not in args, f"{name}: {flag} in an abi3 build"
            platforms = job["strategy"]["matrix"]["platform"]
            for platform in platforms:
                runner = expand(job["runs-on"], platform)
                target = expand(options["target"], platform)
                kind = wheel_kind(step, runner)
                if target == "aarch64" and kind in ("manylinux", "musllinux"):
                    # aws-lc-sys does not cross-compile reliably in the manylinux cross images.
                    assert runner.endswith("-arm"), (
                        f"{name}: Linux aarch64 built on {runner}, not a native arm64 runner"
                    )
                built[(kind, target)] = f"{name} on {runner}"
            build_jobs.add(name)
            if name == "windows":
                script = " ".join(str(s.get("run", "")) for s in job["steps"])
                assert "nasm" in script.lower(), "windows: aws-lc-sys needs NASM for x86-64"

    missing = REQUIRED_WHEELS - set(built)
    assert not missing, f"no wheel built for {sorted(missing)}"
    assert sdist_jobs, "no sdist built"

    # The smoke tests: every wheel installed and run on the oldest and newest CPython.
    smoke_runs = {
        str(step.get("run", ""))
        for job in jobs.values()
        for step in job.get("steps", [])
        if "tests/install/smoke.py" in str(step.get("run", ""))
    }
    assert smoke_runs, "no job runs tests/install/smoke.py"
    assert (ROOT / "tests/install/smoke.py").is_file()
    smoke = jobs["smoke"]
    assert set(smoke["strategy"]["matrix"]["python"]) >= {"3.10"}, "the smoke test skips CPython 3.10"
    smoked = {p["artifact"] for p in smoke["strategy"]["matrix"]["platform"]}
    for kind, target in REQUIRED_WHEELS - {("musllinux", "x86_64"), ("musllinux", "aarch64")}:
        assert f"wheels-{kind}-{target}" in smoked, f"the {kind} {target} wheel is not smoke-tested"
    musl_script = " ".join(str(s.get("run", "")) for s in jobs["musllinux"]["steps"])
    assert "alpine" in musl_script and "smoke.py" in musl_script, "musllinux wheels are not smoke-tested"

    publish = jobs["publish"]
    assert "refs/tags/v" in publish["if"], "publish is not limited to version tags"
    assert set(publish["needs"]) >= build_jobs | sdist_jobs | {"smoke"}, f"publish needs {publish['needs']}"
    assert publish["permissions"].get("id-token") == "write", "publish without trusted publishing"
    assert any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in publish["steps"])
    assert workflow.get("permissions") == {"contents": "read"}, "default token permissions are not read-only"

    # Supply chain: a tag can be moved, a commit cannot; one exact maturin everywhere.
    for name, job in jobs.items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED.match(str(step["uses"])), f"{name}: {step['uses']} is not pinned by commit SHA"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", str(workflow.get("env", {}).get("MATURIN_VERSION"))), "MATURIN_VERSION"

    # The sdist: twine-checked, built from source into a fresh venv, smoke-tested, and waited for by publish.
    sdist_script = " ".join(str(s.get("run", "")) for name in sdist_jobs for s in jobs[name]["steps"])
    assert "twine check --strict" in sdist_script, "the sdist is not checked by twine check --strict"
    assert ".tar.gz" in sdist_script and "smoke.py" in sdist_script, "the sdist is not installed and smoke-tested"
    wheel_script = " ".join(str(s.get("run", "")) for s in smoke["steps"])
    assert "twine check --strict" in wheel_script, "the wheels are not checked by twine check --strict"

    # Free-threaded CPython: no wheels, and the README says so.
    text = path.read_text()
    assert "3.14t" not in re.sub(r"#.*", "", text) and "free-threaded" not in re.sub(r"#.*", "", text)
    install = (ROOT / "README.md").read_text().split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "free-threaded 3.14t is not supported" in install, "the README does not say 3.14t is unsupported"

    # The wheels are stripped (no debug symbols in what users download).
    cargo = (ROOT / "Cargo.toml").read_text()
    release_profile = cargo.split("[profile.release]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^strip\s*=\s*true\s*$", release_profile, re.MULTILINE), "Cargo.toml: no strip = true"

    # The wheels are abi3 because the crate says so; the workflow relies on it.
    assert '"abi3-py310"' in (ROOT / "Cargo.toml").read_text(), "Cargo.toml no longer builds abi3-py310"
    return [f"{kind} {target}: {where}" for (kind, target), where in sorted(built.items())] + [
        f"sdist: {', '.join(sorted(sdist_jobs))}"
    ]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".github/workflows/release.yml"
    try:
        lines = check(path)
    except (AssertionError, KeyError, yaml.YAMLError) as error:
        print(f"FAIL: {path}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"release workflow ok ({path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}):")
    for line in lines:
        print(f"    {line}")


if __name__ == "__main__":
    main()
