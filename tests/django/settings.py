"""Settings for the Django tests: a project migrated by changing SIMPLE_JWT strings only.

SQLite by default; with DATABASE_URL=postgres://user@host:port/name the same
tests run on PostgreSQL (`make test` does both, see scripts/pg-tests.sh).
"""

import os
import tempfile

from harness import database
from harness import jwt_settings as migration
from harness.project_settings import *  # noqa: F403  (the test projects' common settings; this project's own follow)
from harness.project_settings import INSTALLED_APPS

ROOT_URLCONF = "tests.django.urls"
# A file, not :memory:, so that threads racing in a test get SQLite's locking with a busy timeout.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"simplejwt-rs-tests-{os.getpid()}.sqlite3")},
    }
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database.postgres(os.environ["DATABASE_URL"])}
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.admin",  # simplejwt_rs registers its tables there
    "tests.django.cascade_app",  # users deleted through a cascade (test_policy_cache_write_through.py)
]
# The migration's entries only (harness/jwt_settings.py, shared with the demo and the benchmarks):
# every other setting at its default, which the tests override where they need to.
SIMPLE_JWT = dict(migration.SIMPLE_JWT)
