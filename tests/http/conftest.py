import os

import pytest


def pytest_configure(config):
    if not os.environ.get("DATABASE_URL"):
        raise pytest.UsageError(
            "tests/http needs a PostgreSQL cluster: run `make test-pg` (scripts/pg-tests.sh starts a throwaway one)"
        )
