from django.apps import AppConfig


class SimpleJWTRsConfig(AppConfig):
    """Optional: adding ``simplejwt_rs`` to INSTALLED_APPS turns on the system checks."""

    name = "simplejwt_rs"
    verbose_name = "simplejwt-rs"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
