"""What the demo, the benchmarks and the tests share to run the demo project; not part of the package.

- ``harness.server``: a free port on 127.0.0.1, and gunicorn started, waited for and stopped
  (with its workers) around a block;
- ``harness.jwt_settings``: the migration as settings, the ``SIMPLE_JWT`` / ``REST_FRAMEWORK``
  entries that name ``simplejwt_rs`` where a project on djangorestframework-simplejwt named
  upstream's classes;
- ``harness.project_settings``: the Django settings every test project starts from (``from
  harness.project_settings import *``), each project stating only its own;
- ``harness.race``: many HTTP clients sending one request at once, for the race tests;
- ``harness.database``: a postgres:// URL as a DATABASES entry, and throwaway databases on a cluster;
- ``harness.services``: the throwaway PostgreSQL and Redis of ``scripts/postgres.sh`` and ``scripts/redis.sh``;
- ``harness.flush_rows``: expired rows for the flush commands.

It lives at the top of the repository, beside ``examples/``, ``bench/`` and ``tests/``, because all
three use it: under ``python/simplejwt_rs`` it would ship in the wheel, under ``tests/`` the demo
and the benchmarks would import the test suite, and ``scripts/`` holds shell scripts run by path.
pytest (``pythonpath = ["."]``) and ``scripts/pg-tests.sh`` find it from the repository root;
the demo's settings and the benchmark scripts put the root on ``sys.path``.
"""
