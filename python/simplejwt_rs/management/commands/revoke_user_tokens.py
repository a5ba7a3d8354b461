"""``manage.py revoke_user_tokens <user id>``: log a user out everywhere (e.g. after an account compromise)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from simplejwt_rs import policy, store


class Command(BaseCommand):
    help = "Blacklist every refresh token and revoke every token family of one user (USER_ID_FIELD value)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="the user's USER_ID_FIELD value, as tokens carry it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = policy.find_user(options["user_id"])
        except policy.UserRefused as exc:
            raise CommandError(f"no single user has the id {options['user_id']!r}") from exc
        store.revoke_user_tokens(user, sender=type(self))
        self.stdout.write(f"revoked every refresh token and token family of user {user.pk}")
