"""The lines tests/multi/conftest.py prints at the end of the run (its own module: one list for every importer)."""

REPORT: list[str] = []
