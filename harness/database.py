"""A postgres:// URL as a Django DATABASES entry: the tests, the demo and the benchmarks read one the same way."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def postgres(url: str, **options: Any) -> dict[str, Any]:
    """``{"ENGINE": ..., "NAME": ..., ...}`` for ``postgres://user:password@host:port/name``, plus ``options``."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"only postgres:// URLs are supported, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        **options,
    }
