"""simplejwt-rs: a Rust JWT core and a drop-in for djangorestframework-simplejwt.

The core (``Codec``) needs no Django; the Django modules (``backends``,
``tokens``, ``serializers``, ``authentication``) import Django lazily, only
when imported themselves.
"""

from typing import Any

from . import exceptions
from ._core import ALGORITHMS, DEFAULT_MAX_TOKEN_BYTES, Codec, Decoder, __version__, decode_header, new_jti

__all__ = [
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_BYTES",
    "Codec",
    "Decoder",
    "__version__",
    "decode_header",
    "exceptions",
    "new_jti",
    "revoke_user_tokens",
]


def __getattr__(name: str) -> Any:
    # Django's only export here, loaded on first use so that the core stays importable without Django.
    if name == "revoke_user_tokens":
        from .store import revoke_user_tokens

        return revoke_user_tokens
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
