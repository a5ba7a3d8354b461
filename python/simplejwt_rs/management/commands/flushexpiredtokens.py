"""``manage.py flushexpiredtokens``, ours: upstream's command in batches, keeping each row until ``exp + LEEWAY``.

Upstream's deletes every expired outstanding token in one ``QuerySet.delete()`` (loading them all, with their
blacklist entries, into memory) at ``exp``.  This one is what ``flushexpiredtokens`` runs whatever the order
of ``INSTALLED_APPS``: the app routes upstream's command here at startup (``apps.py``).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from simplejwt_rs import settings as jwt_settings
from simplejwt_rs import store

from .flush_expired_token_families import positive


class Command(BaseCommand):
    help = "Flushes any expired tokens in the outstanding token list (in batches, after LEEWAY)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=positive, default=None, help="rows per batch (FLUSH_BATCH_SIZE)")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = store.flush_outstanding(jwt_settings.now(), options["batch_size"])
        if options.get("verbosity", 1) > 1:
            self.stdout.write(f"deleted {deleted} outstanding token(s) and their blacklist entries")


def route_upstream_command() -> None:
    """Upstream's ``flushexpiredtokens`` (when its app comes first in INSTALLED_APPS, Django loads its
    module) runs this command instead."""
    from rest_framework_simplejwt.token_blacklist.management.commands import flushexpiredtokens

    flushexpiredtokens.Command = Command  # type: ignore[misc]
