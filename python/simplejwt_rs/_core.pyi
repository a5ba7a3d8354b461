"""Type stubs for the native module (checked by mypy.stubtest)."""

import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, final

__all__ = ["__version__", "ALGORITHMS", "DEFAULT_MAX_TOKEN_BYTES", "Codec", "Decoder", "decode_header", "new_jti"]
__version__: str

ALGORITHMS: tuple[str, ...]
DEFAULT_MAX_TOKEN_BYTES: int

_Key = str | bytes | Mapping[str, Any]
_Lifetime = int | float | datetime.timedelta

class _KeySetEntryKid(TypedDict):
    kid: str

class _KeySetEntry(_KeySetEntryKid, total=False):
    """An entry of ``Codec(keys=...)``: ``kid`` is required, and at least one of the keys."""

    algorithm: str | None
    signing_key: _Key | None
    verifying_key: _Key | None

@final
class Codec:
    def __new__(
        cls,
        algorithm: str,
        signing_key: _Key | None,
        verifying_key: _Key | None = None,
        *,
        keys: Sequence[_KeySetEntry] | None = None,
        audience: str | Sequence[str] | None = None,
        issuer: str | None = None,
        leeway: _Lifetime | None = None,
        json_encoder: type[json.JSONEncoder] | None = None,
        max_token_bytes: int = ...,
    ) -> Codec: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def audience(self) -> list[str] | None: ...
    @property
    def issuer(self) -> str | None: ...
    @property
    def leeway(self) -> float: ...
    @property
    def max_token_bytes(self) -> int: ...
    @property
    def can_sign(self) -> bool: ...
    @property
    def kid(self) -> str | None:
        """The kid of the key set entry that signs (tokens carry it in their header), or None."""
    @property
    def kids(self) -> list[str]:
        """The kids of the key set, in order; empty without one."""
    def jwks(self) -> dict[str, Any]:
        """The key set's public JWK set, ``{"keys": [...]}``: one JWK per RSA, EC or EdDSA entry
        (``kty``, ``kid``, ``use`` "sig", ``alg`` and the public members). Never a private
        member; HMAC entries and keys without a kid are never published."""
    def encode(self, payload: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> str: ...
    def decode(
        self,
        token: str | bytes,
        *,
        verify: bool = True,
        token_type: str | None = None,
        token_type_claim: str = "token_type",
        jti_claim: str | None = None,
        require_exp: bool = False,
        now: float | None = None,
    ) -> dict[str, Any]: ...
    def decoder(
        self,
        *,
        token_type: str | None = None,
        token_type_claim: str = "token_type",
        jti_claim: str | None = None,
        require_exp: bool = False,
    ) -> Decoder:
        """``decode`` with these requirements bound: ``decoder(token, now=None)``."""
    def refresh(
        self,
        token: str | bytes,
        is_user_active: Callable[[dict[str, Any]], object],
        *,
        access_lifetime: _Lifetime,
        refresh_lifetime: _Lifetime | None = None,
        rotate: bool = False,
        token_type_claim: str | None = "token_type",
        jti_claim: str | None = "jti",
        access_token_type: str = "access",
        refresh_token_type: str = "refresh",
        now: float | None = None,
    ) -> dict[str, Any]:
        """Verify a refresh token, ask ``is_user_active``, mint the access token (and, with ``rotate``, its successor).

        Returns a dict with keys ``access``, ``access_claims``, ``refresh`` and
        ``refresh_claims`` (both ``None`` unless ``rotate``), and ``claims`` (the
        presented token's).

        ``is_user_active`` is called once, only after the token verified, with a
        copy of its claims (changing it changes nothing). It may return:

        - a ``Mapping`` (an empty one too): the user is admitted; with ``rotate``,
          its items are set on the successor refresh token after the fresh
          ``exp``/``iat``/jti, so they may replace them (a token family id, a jti
          the caller recorded); without ``rotate`` they are ignored;
        - anything else: admitted if truthy, else ``UserInactiveError``.

        An exception it raises propagates unchanged.

        Token errors are ``JWTError`` subclasses; settings out of range (a
        lifetime that is not positive, ``rotate`` without ``refresh_lifetime``)
        are ``InvalidSettingError``.
        """

@final
class Decoder:
    def __call__(self, token: str | bytes, now: float | None = None) -> dict[str, Any]: ...
    @property
    def codec(self) -> Codec: ...

def decode_header(token: str | bytes) -> dict[str, Any]: ...
def new_jti() -> str: ...
