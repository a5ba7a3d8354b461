"""The docs site's reference pages are held against the code (issue 20, item 7).

The checks page against the ids the code emits: tests/django/test_checks.py; the error-codes page against
``errors.codes_table()``: tests/django/test_refusal_codes.py; the settings page here.
"""

import re
from pathlib import Path

from simplejwt_rs.settings import DEFAULTS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_settings_page_lists_exactly_the_settings_we_add():
    table = re.findall(r"^\| `([A-Z_]+)` \|", (DOCS / "settings.md").read_text(), flags=re.MULTILINE)
    assert len(table) == len(set(table)), "a setting is listed twice"
    assert set(table) == set(DEFAULTS), (
        f"docs/settings.md lists {sorted(set(table) - set(DEFAULTS))} that settings.DEFAULTS lacks, "
        f"and lacks {sorted(set(DEFAULTS) - set(table))}"
    )
