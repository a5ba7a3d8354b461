"""A postgres:// URL as a Django DATABASES entry (the tests, the demo and the benchmarks read one the same way),
and the throwaway databases the HTTP tests make on the cluster scripts/pg-tests.sh starts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit


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


def on_cluster(url: str, name: str) -> str:
    """``url`` (a postgres:// URL) naming the database ``name`` on the same cluster instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def execute(url: str, *statements: str) -> None:
    """Run ``statements`` on ``url`` in autocommit (``CREATE DATABASE`` and ``DROP DATABASE`` need it)."""
    import psycopg  # only the PostgreSQL runs need it installed

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
