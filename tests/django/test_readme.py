"""The Python blocks of the README and of the docs site (docs/**/*.md) run as written (issue 12, "docs that run").

Each ```python block is executed: settings and code blocks in a fresh
namespace (Django is configured by the test settings), a block that is a test
file through pytest itself, with our plugin.
"""

import os
import re
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [
    textwrap.dedent(block)
    for page in PAGES
    for block in re.findall(r"^ *```python\n(.*?)^ *```", page.read_text(), re.M | re.S)
]


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if "def test_" not in b], ids=lambda b: b.strip().splitlines()[0][:60]
)
def test_block_runs(block):
    namespace: dict = {"__name__": "readme_block"}
    exec(compile(block, "README.md or docs/", "exec"), namespace)  # noqa: S102  (our own docs)
    rule = namespace.get("allowed")
    if callable(rule):  # the Refuse example: exercise each branch
        from simplejwt_rs.policy import Refuse

        def user(**fields):
            return types.SimpleNamespace(
                **{"is_active": True, "locked_until": None, "must_reset_password": False, **fields}
            )

        assert rule(user()) is True and rule(None) is False and rule(user(is_active=False)) is False
        with pytest.raises(Refuse) as refused:
            rule(user(locked_until="tomorrow"))
        assert refused.value.code == "account_locked"


pytest_plugins = ["pytester"]


@pytest.mark.parametrize("block", [b for b in BLOCKS if "def test_" in b], ids=lambda b: "test file")
def test_test_file_block_passes(block, pytester, monkeypatch):
    root = str(README.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    # On SQLite: under DATABASE_URL the inner run would create and drop this run's own test database.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pytester.makepyfile(test_readme_example=block)
    result = pytester.runpytest_subprocess(
        "-p", "simplejwt_rs.pytest_plugin", "--ds", "tests.django.settings", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=block.count("def test_"))
