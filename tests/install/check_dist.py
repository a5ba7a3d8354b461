"""Check what ``make dist`` built, then install each artefact into a fresh venv and smoke-test it.

    python tests/install/check_dist.py [--dist dist] [--work target/install-test]
                                       [--wheel-python PY ...] [--sdist-python PY]

1. The sdist holds everything a build needs (Cargo.toml, Cargo.lock, pyproject.toml, the Rust
   sources, python/, the README, the licence) and its PKG-INFO names only licence files it holds.
2. The wheel is one abi3 wheel (cp310-abi3) with the extension module, the typing files, the
   migrations and the licence.
3. The wheel installs into a fresh venv with no cargo/rustc on PATH, on each ``--wheel-python``
   (the first also gets the ``django`` extra and runs the Django smoke test), and ``smoke.py``
   passes there.
4. The sdist installs into a fresh venv the way a user's pip builds it (build isolation, maturin
   from the index, cargo on PATH), and ``smoke.py`` passes there.  Set CARGO_TARGET_DIR to reuse
   compiled dependencies between runs (``make test-install`` does; not the checkout's target/).
5. So does ``pip install <checkout>``, the README's install line.

Standard library only: it runs before anything is installed anywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SMOKE = HERE / "smoke.py"

# What a build from the sdist reads, relative to the sdist's top directory.
SDIST_REQUIRED = [
    "PKG-INFO",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "src/lib.rs",
    "python/simplejwt_rs/__init__.py",
    "python/simplejwt_rs/_core.pyi",
    "python/simplejwt_rs/py.typed",
    "python/simplejwt_rs/migrations/__init__.py",
]
# Build products and local state that must never ship.
SDIST_FORBIDDEN_PARTS = {"target", ".venv", ".nox", "__pycache__", ".git", "dist", "site-packages"}
SDIST_FORBIDDEN_FILES = {"pyvenv.cfg"}  # a virtualenv under any name
SDIST_FORBIDDEN_SUFFIXES = (".so", ".pyd", ".pyc", ".whl", ".tar.gz")

WHEEL_REQUIRED = [
    "simplejwt_rs/__init__.py",
    "simplejwt_rs/_core.pyi",
    "simplejwt_rs/py.typed",
    "simplejwt_rs/migrations/__init__.py",
]
# Every translation catalogue of the checkout, compiled (Django reads the .mo) and as source.
CATALOGUES = sorted(
    str(path.relative_to(ROOT / "python"))
    for path in (ROOT / "python" / "simplejwt_rs" / "locale").glob("*/LC_MESSAGES/django.[mp]o")
)
WHEEL_REQUIRED += CATALOGUES
SDIST_REQUIRED += [f"python/{name}" for name in CATALOGUES]


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def step(title: str) -> float:
    print(f"--- {title}", flush=True)
    return time.monotonic()


def done(started: float, what: str) -> None:
    print(f"    ok: {what} ({time.monotonic() - started:.1f}s)", flush=True)


def the_one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        fail(f"expected exactly one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def check_sdist(sdist: Path) -> None:
    started = step(f"sdist contents: {sdist.name}")
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        tops = {name.split("/", 1)[0] for name in names}
        if len(tops) != 1:
            fail(f"sdist has {len(tops)} top-level directories: {sorted(tops)}")
        top = tops.pop()
        members = {name.split("/", 1)[1] for name in names}
        missing = [name for name in SDIST_REQUIRED if name not in members]
        if missing:
            fail(f"sdist lacks {missing}")
        shipped = sorted(
            name
            for name in members
            if SDIST_FORBIDDEN_PARTS & set(name.split("/")[:-1])
            or name.rsplit("/", 1)[-1] in SDIST_FORBIDDEN_FILES
            or name.endswith(SDIST_FORBIDDEN_SUFFIXES)
        )
        if shipped:
            # maturin ships what `cargo package --list` does: every file git does not ignore, tracked or not.
            fail(f"sdist ships {len(shipped)} build products or local state files, e.g. {shipped[:3]}: remove them")
        pkg_info = Parser().parsestr(tar.extractfile(f"{top}/PKG-INFO").read().decode())  # type: ignore[union-attr]
        license_text = tar.extractfile(f"{top}/LICENSE").read().decode()  # type: ignore[union-attr]
    if pkg_info["License-Expression"] != "MIT":
        fail(f"PKG-INFO License-Expression is {pkg_info['License-Expression']!r}, not 'MIT'")
    declared = pkg_info.get_all("License-File") or []
    if "LICENSE" not in declared or any(name not in members for name in declared):
        fail(f"PKG-INFO License-File {declared} does not match the files in the sdist")
    if "MIT License" not in license_text:
        fail("LICENSE is not the MIT licence text")
    if pkg_info["Requires-Python"] != ">=3.10":
        fail(f"PKG-INFO Requires-Python is {pkg_info['Requires-Python']!r}")
    untracked = untracked_in(members)
    if untracked:
        print(f"    note: {len(untracked)} file(s) not tracked by git are in the sdist, e.g. {untracked[:3]}")
    done(started, f"{len(members)} files, {sdist.stat().st_size // 1024} KiB, License-File {declared}")


def untracked_in(members: set[str]) -> list[str]:
    """Files in the sdist that git does not track (an sdist built in CI from a clean clone has none)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        return []
    generated = {"PKG-INFO"}
    return sorted(members - set(listed.stdout.splitlines()) - generated)


def check_wheel(wheel: Path) -> None:
    started = step(f"wheel contents: {wheel.name}")
    if "-cp310-abi3-" not in wheel.name:
        fail(f"{wheel.name} is not an abi3 wheel for CPython >= 3.10")
    with zipfile.ZipFile(wheel) as zf:
        members = set(zf.namelist())
        missing = [name for name in WHEEL_REQUIRED if name not in members]
        natives = [name for name in members if name.startswith("simplejwt_rs/_core.")]
        natives = [name for name in natives if name.endswith((".abi3.so", ".pyd"))]
        licences = [name for name in members if name.endswith(".dist-info/licenses/LICENSE")]
        metadata_name = next((name for name in members if name.endswith(".dist-info/METADATA")), None)
        metadata = Parser().parsestr(zf.read(metadata_name).decode()) if metadata_name else None
    if missing:
        fail(f"wheel lacks {missing}")
    if len(natives) != 1:
        fail(f"wheel should hold one abi3 extension module, holds {natives}")
    if not licences:
        fail("wheel has no .dist-info/licenses/LICENSE")
    if metadata is None or metadata["Requires-Python"] != ">=3.10" or metadata["License-Expression"] != "MIT":
        fail("wheel METADATA lacks Requires-Python >=3.10 or License-Expression MIT")
    done(started, f"{natives[0]}, {licences[0]}, {wheel.stat().st_size // 1024} KiB")


def without_rust(env: dict[str, str]) -> dict[str, str]:
    """``env`` with every PATH entry that provides cargo, rustc or rustup removed."""
    tools = ("cargo", "rustc", "rustup")
    kept = [d for d in env.get("PATH", "").split(os.pathsep) if d and not any(shutil.which(t, path=d) for t in tools)]
    clean = {k: v for k, v in env.items() if not k.startswith(("CARGO", "RUSTUP", "RUSTC"))}
    clean["PATH"] = os.pathsep.join(kept)
    for tool in tools:
        if shutil.which(tool, path=clean["PATH"]):
            fail(f"could not take {tool} off PATH")
    return clean


def fresh_venv(python: str, where: Path, env: dict[str, str]) -> Path:
    # A fixed path, recreated: nothing left from the last run, and the same interpreter path each
    # time, so that PyO3's build configuration (keyed on it) stays cached in CARGO_TARGET_DIR.
    subprocess.run([python, "-m", "venv", "--clear", str(where)], check=True, env=env)
    return where / ("Scripts" if os.name == "nt" else "bin") / "python"


def run_smoke(venv_python: Path, env: dict[str, str], *args: str) -> None:
    # From a directory outside the checkout, so that nothing but the installed package can be imported.
    scratch = venv_python.parent.parent
    subprocess.run([str(venv_python), str(SMOKE), *args], check=True, env=env, cwd=scratch)


def pip(venv_python: Path, env: dict[str, str], *args: str) -> None:
    # --no-compile: byte-compiling Django is most of an install's time, and not what is tested here.
    subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "--no-compile", *args], check=True, env=env)


def check_wheel_installs(wheel: Path, pythons: list[str], work: Path) -> None:
    env = without_rust({**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    for index, python in enumerate(pythons):
        version = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()
        django = index == 0
        started = step(
            f"wheel into a fresh Python {version} venv without cargo/rustc" + (" + [django]" if django else "")
        )
        venv_python = fresh_venv(python, work / f"venv-wheel-{version}", env)
        if django:
            # The extra's dependencies come from the index, as binaries only: nothing may need a compiler.
            pip(venv_python, env, "--only-binary", ":all:", f"{wheel}[django]")
            run_smoke(venv_python, env, "--django")
        else:
            pip(venv_python, env, "--no-index", str(wheel))
            run_smoke(venv_python, env)
        done(started, f"installed and smoke-tested on Python {version}")


def forget_our_crate(target_dir: Path) -> int:
    """Make cargo recompile simplejwt-rs itself (not its dependencies) in ``target_dir``.

    maturin stamps every file in the sdist with one fixed old mtime (2006), and cargo names a
    workspace crate's fingerprint by its path relative to the workspace root, so the crate unpacked
    from any sdist shares one fingerprint with every earlier build in the same target directory and
    looks up to date: without this, cargo would reuse the last build's library instead of compiling
    the sources in the sdist.  (For the same reason this must not be the checkout's own target/,
    which ``make install`` builds into: the two would hand each other their libraries.)
    """
    removed = 0
    for fingerprint in target_dir.glob("*/.fingerprint/simplejwt-rs-*"):
        shutil.rmtree(fingerprint)
        removed += 1
    return removed


def check_sdist_installs(sdist: Path, python: str, work: Path) -> None:
    # pip's own cache off: it would otherwise reuse the wheel it built from an sdist of this name.
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
    target = env.get("CARGO_TARGET_DIR")
    if target and Path(target).resolve() == (ROOT / "target").resolve():
        fail("CARGO_TARGET_DIR must not be the checkout's target/ (see forget_our_crate); use a directory of its own")
    forgotten = forget_our_crate(Path(target)) if target else 0
    where = f"CARGO_TARGET_DIR={target}, {forgotten} stale fingerprint(s) removed" if target else "fresh target dir"
    started = step(f"sdist into a fresh venv: pip builds it with maturin and cargo ({where})")
    if not shutil.which("cargo", path=env.get("PATH")):
        fail("building the sdist needs cargo on PATH (a Rust toolchain, https://rustup.rs)")
    venv_python = fresh_venv(python, work / "venv-sdist", env)
    pip(venv_python, env, str(sdist))
    built = time.monotonic() - started
    run_smoke(venv_python, env)
    done(started, f"built from source in {built:.1f}s and smoke-tested")


def check_checkout_installs(python: str, work: Path) -> None:
    # The README's line for a checkout: pip builds it in place (build isolation, maturin from the index).
    # Into the same CARGO_TARGET_DIR right after the sdist build, so cargo recompiles only if the
    # checkout's sources changed since the sdist was made from them.
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
    started = step("the checkout into a fresh venv: pip install <checkout>, as the README says")
    venv_python = fresh_venv(python, work / "venv-checkout", env)
    pip(venv_python, env, str(ROOT))
    run_smoke(venv_python, env)
    done(started, "installed from the checkout and smoke-tested")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "install-test")
    parser.add_argument(
        "--wheel-python", action="append", help="interpreter(s) to install the wheel on (default: this one)"
    )
    parser.add_argument("--sdist-python", default=sys.executable)
    parser.add_argument("--skip-sdist-build", action="store_true", help="check the sdist's contents only")
    options = parser.parse_args()

    started = time.monotonic()
    options.work.mkdir(parents=True, exist_ok=True)
    sdist = the_one(options.dist, "simplejwt_rs-*.tar.gz")
    wheel = the_one(options.dist, "simplejwt_rs-*.whl")
    check_sdist(sdist)
    check_wheel(wheel)
    check_wheel_installs(wheel.resolve(), options.wheel_python or [sys.executable], options.work.resolve())
    if not options.skip_sdist_build:
        check_sdist_installs(sdist.resolve(), options.sdist_python, options.work.resolve())
        check_checkout_installs(options.sdist_python, options.work.resolve())
    print(f"install test passed in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
