"""``manage.py flush_expired_token_families``: delete rotation records, revoked families and sessions past their
expiry, in batches.

Run it next to ``flushexpiredtokens`` (e.g. daily). A row is kept until no token it concerns can be presented
any more (its ``expires_at`` plus ``LEEWAY``), so deleting it never makes a refused token usable again.
Each batch (``FLUSH_BATCH_SIZE`` rows, or ``--batch-size``) is one short transaction.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from simplejwt_rs import settings as jwt_settings
from simplejwt_rs import store


def positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Delete expired refresh-token rotation records, revoked token families and sessions, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=positive, default=None, help="rows per batch (FLUSH_BATCH_SIZE)")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = store.flush_expired_counts(jwt_settings.now(), options["batch_size"])
        self.stdout.write(
            f"deleted {counts['rotated']} rotation record(s) and {counts['families']} revoked token family(ies), "
            f"{counts['sessions']} session(s)"
        )
