"""The version matrix for the Django drop-in: each session installs the built wheel and runs tests/django.

`make matrix` builds one abi3 wheel into .nox/wheels first (reusing the Rust
build in target/), so no session compiles Rust.  Run one session with
`nox -s "django(simplejwt='5.3.1', ...)"`, or `nox -l` to list them.
"""

import glob
import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
WHEELS = ROOT / ".nox" / "wheels"

# pyenv's shims only run the global version; put every installed interpreter on PATH.
os.environ["PATH"] = os.pathsep.join(
    [*sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin"))), os.environ.get("PATH", "")]
)

nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# (python, simplejwt, Django, DRF), one row per supported Django, each with the simplejwt and DRF releases that
# pair with it: 4.2 LTS (kept while upstream supports it) with the oldest simplejwt and DRF we support, 5.2 LTS
# (what most projects run) with simplejwt 5.4.0 and DRF 3.16 (its first release for 5.2), 6.0 with simplejwt 5.5.1
# and DRF 3.17, and the newest with everything newest.  Django 6.x needs Python >= 3.12.  (5.1 left: ended 2025-12.)
# pyproject.toml's Django classifiers and the README's table name exactly these (tests/install/check_metadata.py).
MATRIX = [
    ("3.10", "5.3.1", "4.2", "3.14.0"),
    ("3.12", "5.4.0", "5.2", "3.16.1"),
    ("3.12", "5.5.1", "6.0", "3.17.2"),
    ("3.13", "5.5.1", "6.1", "3.18.3"),
]


@nox.session(name="django")
@nox.parametrize(("python", "simplejwt", "django", "drf"), MATRIX, ids=[f"sjwt{m[1]}-dj{m[2]}" for m in MATRIX])
def django_tests(session: nox.Session, simplejwt: str, django: str, drf: str) -> None:
    wheels = sorted(WHEELS.glob("simplejwt_rs-*.whl"))
    if not wheels:
        session.error(f"no wheel in {WHEELS}: run `make matrix` (it builds one)")
    session.install(
        f"djangorestframework-simplejwt=={simplejwt}",
        f"Django~={django}.0",
        f"djangorestframework=={drf}",
        "PyJWT[crypto]>=2.10",
        "pytest>=8",
        "pytest-django>=4.9",
        "hypothesis>=6.100",
        "redis>=5",
        "drf-spectacular>=0.30",  # tests/django/test_openapi.py (simplejwt_rs.openapi)
        "django-ninja>=1.0",  # tests/django/test_ninja.py (the ninja extra)
        "adrf>=0.1.9",
        "jsonschema>=4",  # test_openapi: `spectacular --validate`
        "structlog",  # test_security_events: the events render with structlog and python-json-logger
        "python-json-logger>=3.1",
    )
    session.install("--force-reinstall", "--no-deps", str(wheels[-1]))
    # The hostile-claims property runs its full 2,000 examples per endpoint in the SQLite run only.
    fewer = {"SIMPLEJWT_RS_HOSTILE_EXAMPLES": "100"}
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/django", *session.posargs, env=fewer)
