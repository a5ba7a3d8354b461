"""``TokenBackend`` on the Rust ``Codec``: same constructor, methods and errors as upstream's."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import backends as upstream
from rest_framework_simplejwt import exceptions as up_exc
from rest_framework_simplejwt.utils import format_lazy

from . import exceptions as core_exc
from . import settings as jwt_settings
from ._core import ALGORITHMS, Codec, decode_header
from .errors import MSG_INVALID, backend_error

if TYPE_CHECKING:
    from ._core import _KeySetEntry

# Upstream's flag: whether PyJWT can fetch JWK sets for JWK_URL.  Ours fetches them itself (JWKCache),
# so JWK_URL works whatever PyJWT offers.
JWK_CLIENT_AVAILABLE = True


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
        keys: Sequence[Mapping[str, Any]] | None = None,
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
        # Ours (SIMPLE_JWT["KEYS"]): a key set chosen by kid; signing_key/verifying_key then only verify
        # tokens without a kid (token_backend() passes them only when the project names them).
        self.keys = tuple(dict(entry) for entry in keys or ())
        self.get_leeway()  # raises upstream's error for a leeway of the wrong type
        self.jwks = JWKCache(self, jwk_url) if jwk_url and not algorithm.startswith("HS") else None

    # Upstream's is a writable attribute holding a PyJWKClient; ours is read-only and our own JWKCache.
    @property
    def jwks_client(self) -> JWKCache | None:  # type: ignore[override]
        """Upstream's name for what fetches the keys of ``JWK_URL`` (None without it)."""
        return self.jwks

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
        """Keys prepared once; for HMAC the signing key also verifies.

        With a key set the core picks the entry by the token's ``kid`` (in the same call), signs with the
        first entry that has a signing key, and verifies a token without ``kid`` with the top-level keys.
        """
        verifying = None if self.algorithm.startswith("HS") else (self.verifying_key or None)
        if self.keys:
            # Entries as the constructor was given them (settings' KEYS parser shaped them); the core checks each.
            keys = cast("tuple[_KeySetEntry, ...]", self.keys)
            return Codec(self.algorithm, self.signing_key or None, verifying, keys=keys, **self.codec_options())
        return Codec(self.algorithm, self.signing_key or None, verifying, **self.codec_options())

    @cached_property
    def own_kids(self) -> frozenset[str]:
        """The kids of the key set (empty without KEYS)."""
        return frozenset(self.codec.kids) if self.keys else frozenset()

    def routes_to_jwk_set(self, token: str | bytes) -> bool:
        """Whether ``token`` is verified by a key of the JWK set (a key we do not own) rather than ours.

        With KEYS and JWK_URL, a token whose ``kid`` is one of ours (or that has none) is ours; any other
        kid is looked up in the JWK set.  With JWK_URL alone every token is the JWK set's.  Decided by the
        header alone, so that which codec verifies and whether a token may be minted from agree.
        """
        if self.jwks is None:
            return False
        if not self.keys:
            return True
        try:
            kid = decode_header(token).get("kid")
        except core_exc.JWTError:
            return False  # our codec refuses it
        return isinstance(kid, str) and kid not in self.own_kids

    def codec_for(self, token: str | bytes) -> Codec:
        """The codec that verifies ``token``: the configured one, or the JWK set's for its ``kid``.

        The JWK set's codecs only verify (they hold no signing key): use :meth:`minting_codec_for` for a
        token something will be minted from.
        """
        jwks = self.jwks
        if jwks is not None and self.routes_to_jwk_set(token):
            return jwks.codec_for(token)
        return self.codec

    def minting_codec_for(self, token: str | bytes) -> Codec:
        """The codec that verifies ``token`` on a path that mints from it (refresh, sliding refresh, rotation).

        Only our own keys (``KEYS``, or ``SIGNING_KEY``/``VERIFYING_KEY``): a token a key of the JWK set
        would verify (a partner's) raises TokenBackendError ("Token is invalid") before any verifying, so
        nothing is ever minted from it, whatever its claims.
        """
        if self.routes_to_jwk_set(token):
            raise up_exc.TokenBackendError(MSG_INVALID)
        return self.codec

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


logger = logging.getLogger(__name__)


class JWKFetchError(Exception):
    """The JWK set could not be fetched, or what came back is not a JWK set."""


# A JWK set is a few kilobytes; an endpoint that sends more is not serving one.
MAX_JWK_SET_BYTES = 1 << 20


def redacted_url(url: str) -> str:
    """``url`` as it may be logged: scheme, host, port and path; userinfo, query and fragment never.

    A JWK_URL may carry a credential (``https://user:pass@host/...``, ``?token=...``): no log line or
    exception message of ours names it.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "<an unparsable URL>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "<redacted>" if parts.query else "", ""))


def _scrubbed(text: str, url: str) -> str:
    """``text`` (an exception's message) with every credential-bearing part of ``url`` taken out."""
    try:
        parts = urlsplit(url)
        # The netloc only with userinfo in it: a host and port are no secret, and say where it failed.
        pieces = [url, parts.netloc if "@" in parts.netloc else "", parts.query, parts.fragment]
    except ValueError:
        pieces = [url]
    # Longest first, so that a part inside a longer one is not left behind by a partial replacement.
    for piece in sorted({p for p in pieces if p}, key=len, reverse=True):
        text = text.replace(piece, redacted_url(url) if piece == url else "<redacted>")
    return text


def fetch_jwk_set(url: str, timeout: float) -> list[Any]:
    """GET ``url`` and return the ``keys`` list of the JWK set it serves.

    Every failure is a :class:`JWKFetchError`: a refused connection, an HTTP
    error, a body that is not JSON (an HTML login or error page), JSON that is
    not an object with a ``keys`` list, or an answer still arriving after
    ``timeout`` seconds (a slow drip), whatever the endpoint sends.
    """
    failure = None
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise JWKFetchError("JWK_URL must be an http:// or https:// URL")
        if "@" in parts.netloc:
            # urllib would take it for part of the host (and quote it in its error); it is never sent.
            raise JWKFetchError("JWK_URL must not carry a user name or password (user:password@host)")
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "simplejwt-rs"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = bytearray()
            while chunk := response.read1(65536):
                body += chunk
                if len(body) > MAX_JWK_SET_BYTES:
                    raise JWKFetchError(f"the answer is larger than {MAX_JWK_SET_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise JWKFetchError(f"the answer took longer than {timeout} s")
        data = json.loads(body)
    except (OSError, ValueError, RecursionError, http.client.HTTPException) as exc:
        failure = _scrubbed(f"{type(exc).__name__}: {exc}", url)
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # the error page's connection
    if failure is not None:
        # Raised outside the handler, so not chained: the original's message may hold the URL (an InvalidURL,
        # a bad port), credential and all.
        raise JWKFetchError(failure)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JWKFetchError("the answer is not a JWK set (a JSON object with a 'keys' list)")
    return data["keys"]


class _Fetch:
    """One fetch of the JWK set, in its own thread."""

    def __init__(self, started: float, timeout: float) -> None:
        self.started = started  # on the settings clock, like loaded_at
        self.deadline = time.monotonic() + timeout  # when waiters stop waiting and the fetch counts as abandoned
        self.done = threading.Event()


class JWKCache:
    """Codecs for the keys of a JWK set, by ``kid``.

    The set is fetched on first use, trusted for ``JWK_CACHE_SECONDS``, and an
    unknown ``kid`` triggers a refetch at most once per ``JWK_REFETCH_INTERVAL``
    so that a stream of forged kids cannot turn into a stream of requests.

    A request whose ``kid`` is in the set never waits: the set is replaced
    whole, so reading it takes no lock, and an expired set is refetched in the
    background while it goes on serving. One fetch runs at a time, in its own
    thread, for at most ``JWK_FETCH_TIMEOUT``; only the request that started it
    waits for it (and, before any set is loaded, the requests that arrive
    meanwhile: no kid is cached yet). Another unknown kid during a fetch is
    refused, not queued. A fetch that fails, or brings no key usable with
    ``ALGORITHM``, keeps the last good set.
    """

    def __init__(self, backend: TokenBackend, url: str) -> None:
        self.backend = backend
        self.url = url
        self.codecs: dict[str, Codec] = {}  # the last good set: replaced, never mutated
        self.loaded_at: float | None = None  # when the last good set was fetched
        self.attempted_at: float | None = None  # when the last fetch started
        self.fetching: _Fetch | None = None
        # Guards the four fields above for a few statements at a time; never held during a fetch.
        self.lock = threading.Lock()

    def codec_for(self, token: str | bytes) -> Codec:
        try:
            kid = decode_header(token).get("kid")
        except core_exc.JWTError as exc:
            raise up_exc.TokenBackendError(MSG_INVALID) from exc
        if not isinstance(kid, str):
            raise up_exc.TokenBackendError(MSG_INVALID)
        now = jwt_settings.now()
        codec = self.codecs.get(kid)
        if codec is not None:
            loaded_at = self.loaded_at
            if loaded_at is not None and now - loaded_at >= jwt_settings.get("JWK_CACHE_SECONDS"):
                self.start_fetch(now)  # not waited for: this request goes on with the key it has
            return codec
        fetch = self.start_fetch(now)
        if fetch is not None:
            fetch.done.wait(max(0.0, fetch.deadline - time.monotonic()))
            codec = self.codecs.get(kid)
        if codec is None:
            raise up_exc.TokenBackendError(MSG_INVALID)
        return codec

    def start_fetch(self, now: float) -> _Fetch | None:
        """Start a fetch if none is running and the interval allows; the fetch to wait for, if any."""
        timeout = jwt_settings.get("JWK_FETCH_TIMEOUT")
        with self.lock:
            running = self.fetching
            if running is not None and time.monotonic() < running.deadline:
                return running if self.loaded_at is None else None
            if self.attempted_at is not None and now - self.attempted_at < jwt_settings.get("JWK_REFETCH_INTERVAL"):
                return None
            fetch = self.fetching = _Fetch(now, timeout)
            self.attempted_at = now
        try:
            threading.Thread(target=self.run, args=(fetch, timeout), name="simplejwt-rs JWK fetch", daemon=True).start()
        except RuntimeError:  # no thread to be had: as if the fetch failed
            fetch.done.set()
            return None
        return fetch

    def run(self, fetch: _Fetch, timeout: float) -> None:
        codecs: dict[str, Codec] = {}
        try:
            codecs = self.codecs_for_keys(fetch_jwk_set(self.url, timeout))
            if not codecs:
                raise JWKFetchError(f"no key in the set is usable with {self.backend.algorithm}")
        except Exception as exc:  # whatever the endpoint sent, the last good set stays
            codecs = {}
            message = _scrubbed(str(exc), self.url)
            logger.warning("JWK_URL %s: %s; keeping the last good key set", redacted_url(self.url), message)
        with self.lock:
            if self.fetching is fetch:
                self.fetching = None
            if codecs and (self.loaded_at is None or fetch.started >= self.loaded_at):
                self.codecs = codecs
                self.loaded_at = fetch.started
        fetch.done.set()

    def codecs_for_keys(self, keys: list[Any]) -> dict[str, Codec]:
        backend = self.backend
        codecs = {}
        for jwk in keys:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", backend.algorithm) != backend.algorithm:
                continue
            # The JWK set's keys only verify: its codecs hold no signing key, so no refresh or re-signing
            # can ever mint with a key we do not own (paths that mint verify with minting_codec_for).
            try:
                codecs[jwk["kid"]] = Codec(backend.algorithm, None, jwk, **backend.codec_options())
            except (core_exc.JWTError, ValueError, TypeError, OverflowError):
                continue  # a key for another algorithm or curve, or not a key at all, is not ours to use
        return codecs


_backend: TokenBackend | None = None


def as_ours(backend: upstream.TokenBackend) -> TokenBackend:
    """``backend`` if it is ours; upstream's (a token class's ``_token_backend``) as ours, same keys and options.

    Refresh verifies and mints in one core call, which needs our codec: without this a token class given
    upstream's backend made every refresh a 500.
    """
    if isinstance(backend, TokenBackend):
        return backend
    return TokenBackend(
        backend.algorithm,
        backend.signing_key,
        backend.verifying_key,
        backend.audience,
        backend.issuer,
        getattr(getattr(backend, "jwks_client", None), "uri", None),
        backend.leeway,
        backend.json_encoder,
    )


def token_backend() -> TokenBackend:
    """The backend for the current ``SIMPLE_JWT``; rebuilt after the setting changes."""
    global _backend
    if _backend is None:
        get = jwt_settings.get
        keys = get("KEYS")
        signing_key, verifying_key = get("SIGNING_KEY"), get("VERIFYING_KEY")
        if keys:
            # With a key set, the top-level keys only verify tokens without a kid (minted before the
            # switch), and only when the project names them: upstream's default SIGNING_KEY (SECRET_KEY)
            # must not silently become a key this service accepts.
            signing_key = signing_key if jwt_settings.explicit("SIGNING_KEY") else None
            verifying_key = verifying_key if jwt_settings.explicit("VERIFYING_KEY") else ""
        _backend = TokenBackend(
            get("ALGORITHM"),
            signing_key,
            verifying_key,
            get("AUDIENCE"),
            get("ISSUER"),
            get("JWK_URL"),
            get("LEEWAY"),
            get("JSON_ENCODER"),
            keys=keys,
        )
    return _backend


@jwt_settings.on_change
def _forget_backend() -> None:
    global _backend
    _backend = None
