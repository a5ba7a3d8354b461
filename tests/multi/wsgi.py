"""The multi-server project under gunicorn (tests/multi/test_multi_server.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.multi.settings")
application = get_wsgi_application()
