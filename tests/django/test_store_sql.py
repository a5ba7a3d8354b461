"""The store's SQL is written once: one INSERT per table it writes with raw SQL (issue 20, item 6).

A second copy of a statement is where a rule drifts (one copy learns a condition, the other does not),
so each statement lives in one function that its callers parametrize.
"""

import collections
import inspect
import re

from simplejwt_rs import store


def test_each_raw_insert_is_written_once():
    source = inspect.getsource(store)
    # The column list names the table an INSERT writes: upstream's blacklist, ours, the marks.
    statements = re.findall(r"INSERT INTO \{[^}]*\} (\([^)]*\))", source)
    copies = {columns: n for columns, n in collections.Counter(statements).items() if n > 1}
    assert copies == {}
    assert len(statements) == 4  # rotation records, blacklist entries, revoked families, "revoked before" marks
