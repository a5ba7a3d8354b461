"""``TokenBackend`` on the Rust ``Codec``: same constructor, methods and errors as upstream's."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import backends as upstream
from rest_framework_simplejwt import exceptions as up_exc
from rest_framework_simplejwt.utils import format_lazy

from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import ALGORITHMS, Codec, decode_header

# simplejwt 5.4.x and earlier say "Token is invalid or expired" and have no
# expired-token class; 5.5 split them.  Follow whichever is installed.
SPLIT_EXPIRED = hasattr(up_exc, "TokenBackendExpiredToken")
MSG_INVALID = _("Token is invalid") if SPLIT_EXPIRED else _("Token is invalid or expired")
MSG_EXPIRED = _("Token is expired") if SPLIT_EXPIRED else _("Token is invalid or expired")
ExpiredBackendError: type[up_exc.TokenBackendError] = getattr(
    up_exc, "TokenBackendExpiredToken", up_exc.TokenBackendError
)


def backend_error(exc: core_exc.JWTError) -> up_exc.TokenBackendError:
    """Map a core error onto upstream's backend error and message."""
    if isinstance(exc, core_exc.InvalidAlgorithmError):
        return up_exc.TokenBackendError(_("Invalid algorithm specified"))
    if isinstance(exc, core_exc.ExpiredTokenError):
        return ExpiredBackendError(MSG_EXPIRED)
    return up_exc.TokenBackendError(MSG_INVALID)


class TokenBackend(upstream.TokenBackend):
    def __init__(
        self,
        algorithm: str,
        signing_key: str | None = None,
        verifying_key: str = "",
        audience: str | Iterable[str] | None = None,
        issuer: str | None = None,
        jwk_url: str | None = None,
        leeway: float | int | timedelta | None = None,
        json_encoder: type | None = None,
    ) -> None:
        # Not calling super().__init__: it would build PyJWT keys and a PyJWKClient we never use.
        if algorithm not in ALGORITHMS:
            raise up_exc.TokenBackendError(format_lazy(_("Unrecognized algorithm type '{}'"), algorithm))
        self.algorithm = algorithm
        self.signing_key = signing_key
        self.verifying_key = verifying_key
        self.audience = audience
        self.issuer = issuer
        self.jwk_url = jwk_url
        self.leeway = leeway
        self.json_encoder = json_encoder
        self.get_leeway()  # raises upstream's error for a leeway of the wrong type
        self.jwks = JWKCache(self, jwk_url) if jwk_url and not algorithm.startswith("HS") else None

    def codec_options(self) -> dict[str, Any]:
        audience = self.audience
        if audience is not None and not isinstance(audience, str):
            audience = list(audience)
        options: dict[str, Any] = {
            "audience": audience,
            "issuer": self.issuer,
            "leeway": self.get_leeway(),
            "json_encoder": self.json_encoder,
        }
        max_bytes = jwt_settings.get("MAX_TOKEN_BYTES")
        if max_bytes is not None:
            options["max_token_bytes"] = max_bytes
        return options

    @cached_property
    def codec(self) -> Codec:
        """Keys prepared once; for HMAC the signing key also verifies."""
        verifying = None if self.algorithm.startswith("HS") else (self.verifying_key or None)
        return Codec(self.algorithm, self.signing_key or None, verifying, **self.codec_options())

    def codec_for(self, token: str | bytes) -> Codec:
        """The codec that verifies ``token``: the configured one, or the one for its JWK ``kid``."""
        if self.jwks is None:
            return self.codec
        return self.jwks.codec_for(token)

    def encode(self, payload: dict[str, Any]) -> str:
        claims = dict(payload)
        if self.audience is not None:
            claims["aud"] = self.audience if isinstance(self.audience, str) else list(self.audience)
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return self.codec.encode(claims)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        try:
            if not verify:
                return self.codec.decode(token, verify=False)
            return self.codec_for(token).decode(token, now=jwt_settings.now())
        except core_exc.JWTError as exc:
            raise backend_error(exc) from exc

    def get_verifying_key(self, token: Any) -> Any:
        return self.codec_for(token)


class JWKCache:
    """Codecs for the keys of a JWK set, by ``kid``.

    The set is fetched on first use, trusted for ``JWK_CACHE_SECONDS``, and an
    unknown ``kid`` triggers a refetch at most once per ``JWK_REFETCH_INTERVAL``
    so that a stream of forged kids cannot turn into a stream of requests.
    """

    def __init__(self, backend: TokenBackend, url: str) -> None:
        self.backend = backend
        self.url = url
        self.codecs: dict[str, Codec] = {}
        self.fetched_at: float | None = None
        self.lock = threading.Lock()

    def codec_for(self, token: str | bytes) -> Codec:
        try:
            kid = decode_header(token).get("kid")
        except core_exc.JWTError as exc:
            raise up_exc.TokenBackendError(MSG_INVALID) from exc
        if not isinstance(kid, str):
            raise up_exc.TokenBackendError(MSG_INVALID)
        with self.lock:
            now = jwt_settings.now()
            stale = self.fetched_at is None or now - self.fetched_at >= jwt_settings.get("JWK_CACHE_SECONDS")
            may_refetch = self.fetched_at is None or now - self.fetched_at >= jwt_settings.get("JWK_REFETCH_INTERVAL")
            if stale or (kid not in self.codecs and may_refetch):
                self.refetch(now)
            codec = self.codecs.get(kid)
        if codec is None:
            raise up_exc.TokenBackendError(MSG_INVALID)
        return codec

    def refetch(self, now: float) -> None:
        from jwt import PyJWKClient, PyJWKClientError  # only the HTTP fetch; decoding never touches PyJWT

        self.fetched_at = now
        try:
            data = PyJWKClient(self.url, cache_jwk_set=False).fetch_data()
        except PyJWKClientError as exc:
            raise up_exc.TokenBackendError(MSG_INVALID) from exc
        backend = self.backend
        codecs = {}
        for jwk in data.get("keys", []) if isinstance(data, dict) else []:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", backend.algorithm) != backend.algorithm:
                continue
            # Sign with SIGNING_KEY when it suits the algorithm (refresh mints tokens); a
            # verify-only service often leaves it at the SECRET_KEY default, which does not.
            for signing_key in (backend.signing_key or None, None):
                try:
                    codecs[jwk["kid"]] = Codec(backend.algorithm, signing_key, jwk, **backend.codec_options())
                    break
                except core_exc.InvalidKeyError:
                    continue  # a key for another algorithm or curve is not ours to use
        self.codecs = codecs


_backend: TokenBackend | None = None


def token_backend() -> TokenBackend:
    """The backend for the current ``SIMPLE_JWT``; rebuilt after the setting changes."""
    global _backend
    if _backend is None:
        get = jwt_settings.get
        _backend = TokenBackend(
            get("ALGORITHM"),
            get("SIGNING_KEY"),
            get("VERIFYING_KEY"),
            get("AUDIENCE"),
            get("ISSUER"),
            get("JWK_URL"),
            get("LEEWAY"),
            get("JSON_ENCODER"),
        )
    return _backend


@jwt_settings.on_change
def _forget_backend() -> None:
    global _backend
    _backend = None
