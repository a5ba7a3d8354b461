from django.apps import AppConfig


class SimpleJWTRsConfig(AppConfig):
    """Required in INSTALLED_APPS: the tables, the system checks, upstream's views routed to ours."""

    name = "simplejwt_rs"
    verbose_name = "simplejwt-rs"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
        from .upstream_patch import sync
        from .views import route_upstream_views

        route_upstream_views()
        # SIMPLE_JWT["PATCH_UPSTREAM_CLASSES"]: upstream's base classes take their token paths through ours.
        sync()
        from .policy_cache import receivers

        receivers.connect()  # POLICY_CACHE's write-through: Django's model signals and the store's revocations
        from . import events, store

        store.connect()  # no table holds a usable token: upstream's outstanding rows, whoever writes them
        events.connect()  # the request being answered, for logins minted by another package's view

        from django.conf import settings

        if "drf_spectacular" in settings.INSTALLED_APPS:
            from . import openapi  # noqa: F401  (registers the drf-spectacular extensions: simplejwt-rs[openapi])
        from . import settings as jwt_settings

        if jwt_settings.blacklist_installed():  # upstream's flushexpiredtokens deletes in batches, after LEEWAY
            from .management.commands.flushexpiredtokens import route_upstream_command

            route_upstream_command()
