"""simplejwt-rs: a Rust JWT core and a drop-in for djangorestframework-simplejwt.

The core (``Codec``) needs no Django; the Django modules (``backends``,
``tokens``, ``serializers``, ``authentication``) import Django lazily, only
when imported themselves.
"""

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
]
