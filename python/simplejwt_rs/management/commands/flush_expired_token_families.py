"""``manage.py flush_expired_token_families``: delete rotation records and revoked families past their expiry.

Run it next to upstream's ``flushexpiredtokens`` (e.g. daily). A row is kept
until no token it concerns can be presented any more (its ``expires_at`` plus
``LEEWAY``), so deleting it never makes a refused token usable again.
"""

from typing import Any

from django.core.management.base import BaseCommand

from simplejwt_rs import settings as jwt_settings
from simplejwt_rs import store


class Command(BaseCommand):
    help = "Delete expired refresh-token rotation records and revoked token families."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, families = store.flush_expired(jwt_settings.now())
        self.stdout.write(f"deleted {rotated} rotation record(s) and {families} revoked token family(ies)")
