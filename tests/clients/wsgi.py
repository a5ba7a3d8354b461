"""The clients project under gunicorn (tests/clients/test_http.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.clients.settings")
application = get_wsgi_application()
