"""pytest fixtures for a project's own tests: tokens, an authenticated client, a refusal assertion.

Registered through the ``pytest11`` entry point, so installing simplejwt-rs
is enough.  The plugin is inert (no fixtures, nothing imported) unless Django
is already imported with its settings configured (pytest-django's ``--ds`` /
``DJANGO_SETTINGS_MODULE``, or ``settings.configure()`` in a conftest) and
Django REST framework is importable: a project without Django, or pytest run
on something else, sees nothing of it.  This module imports no Django itself;
the fixtures import it when they are used.

- ``jwt_tokens(user)`` -> ``{"access": ..., "refresh": ...}``, minted through
  ``TOKEN_OBTAIN_SERIALIZER``'s ``get_token(user)`` as the obtain view does, so
  custom claims, the token family and the outstanding-token row are as in
  production (the user policy is not applied: minting for an inactive user is
  how a test shows the refusal).
- ``jwt_client(user)`` -> a DRF ``APIClient`` that sends that user's access
  token as ``AUTH_HEADER_TYPES[0]`` in ``AUTH_HEADER_NAME``.
- ``assert_token_refused(response, code)``: a 401 whose DRF error code is
  ``code``, or a failure that shows the status, the code and the body.

Settings are read when a factory is called, so ``override_settings`` (or
pytest-django's ``settings`` fixture) applies to the tokens and clients made
inside it.  Using ``jwt_tokens`` or ``jwt_client`` gives the test database
access, as pytest-django's ``db`` fixture does; mark the test
``django_db(transaction=True)`` (or request ``transactional_db``) if it needs
that kind.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["JWTFixtures", "refusal_code"]

# How much of a response body a failure message shows.
BODY_LIMIT = 2000


def _django_ready() -> bool:
    """Whether Django is imported with settings configured and DRF is importable (never imports Django)."""
    conf = sys.modules.get("django.conf")
    if conf is None:
        return False
    try:
        if not conf.settings.configured:
            return False
        return importlib.util.find_spec("rest_framework") is not None
    except (ImportError, ValueError):
        return False


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # trylast: after pytest-django (and any conftest) has configured the settings.
    if _django_ready() and not config.pluginmanager.has_plugin(JWTFixtures.name):
        config.pluginmanager.register(JWTFixtures(), JWTFixtures.name)


def _database_access(request: pytest.FixtureRequest) -> None:
    """pytest-django's ``db``: a no-op when the test already has database access (a marker, ``transactional_db``)."""
    try:
        request.getfixturevalue("db")
    except pytest.FixtureLookupError:
        pass  # no pytest-django: the project arranges its database itself


def _obtain_serializer() -> Any:
    """The class the token-obtain view uses: ``TOKEN_OBTAIN_SERIALIZER``, an upstream class swapped for ours."""
    from django.utils.module_loading import import_string

    from simplejwt_rs.settings import get_ours

    serializer = get_ours("TOKEN_OBTAIN_SERIALIZER")
    return import_string(serializer) if isinstance(serializer, str) else serializer


def mint(user: Any) -> dict[str, str]:
    """A token pair for ``user`` minted by the configured obtain serializer's ``get_token``."""
    serializer = _obtain_serializer()
    refresh = serializer.get_token(user)
    access = getattr(refresh, "access_token", None)
    if access is None:
        raise TypeError(
            f"jwt_tokens: TOKEN_OBTAIN_SERIALIZER {serializer.__module__}.{serializer.__qualname__} minted a "
            f"{type(refresh).__name__}, which has no access_token; jwt_tokens needs a pair (refresh) serializer"
        )
    return {"access": str(access), "refresh": str(refresh)}


def client_for(tokens: dict[str, str]) -> Any:
    """A DRF ``APIClient`` sending ``tokens["access"]`` the way the settings say a client must."""
    from rest_framework.test import APIClient

    from simplejwt_rs.authentication import auth_header_types
    from simplejwt_rs.settings import get

    client = APIClient()
    client.credentials(**{get("AUTH_HEADER_NAME"): f"{auth_header_types()[0]} {tokens['access']}"})
    client.tokens = tokens
    return client


def _body(response: Any) -> str:
    """The body as sent (a test client's response is rendered), else ``response.data``."""
    try:
        content = response.content
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    except Exception:  # a DRF Response not rendered yet, a streaming response
        text = repr(getattr(response, "data", None))
    return text if len(text) <= BODY_LIMIT else f"{text[:BODY_LIMIT]}... ({len(text)} characters)"


def refusal_code(response: Any) -> str | None:
    """The DRF error code of a response: ``data["code"]``, else ``data["detail"].code``; None if it has none."""
    data = getattr(response, "data", None)
    if data is None:
        try:
            data = response.json()
        except Exception:  # not JSON, or not a test client's response
            return None
    if not isinstance(data, dict):
        return None
    if data.get("code") is not None:
        return str(data["code"])
    code = getattr(data.get("detail"), "code", None)
    return None if code is None else str(code)


def assert_refused(response: Any, code: str) -> None:
    """Fail unless ``response`` is a 401 whose error code is ``code``."""
    __tracebackhide__ = True
    status = getattr(response, "status_code", None)
    found = refusal_code(response)
    if status == 401 and found == code:
        return
    hint = ""
    if status == 403:
        hint = (
            "\n(DRF answers 403 instead of 401 when the first DEFAULT_AUTHENTICATION_CLASSES entry sends no "
            "WWW-Authenticate header, e.g. SessionAuthentication)"
        )
    raise AssertionError(
        f"expected a 401 refusal with code {code!r}, got status {status} with code {found!r}\n"
        f"body: {_body(response)}{hint}"
    )


class JWTFixtures:
    """The fixtures, registered as a plugin only when Django is ready (see :func:`pytest_configure`)."""

    name = "simplejwt_rs.fixtures"

    @pytest.fixture
    def jwt_tokens(self, request: pytest.FixtureRequest) -> Callable[[Any], dict[str, str]]:
        """Factory: ``jwt_tokens(user)`` -> ``{"access": ..., "refresh": ...}``, minted as the obtain view does.

        Through ``TOKEN_OBTAIN_SERIALIZER``'s ``get_token(user)``: its custom
        claims, the token family and the outstanding-token row are as in
        production. The user policy is not applied (tokens for an inactive user
        are how a test shows the refusal). Gives the test database access.
        """
        _database_access(request)
        return mint

    @pytest.fixture
    def jwt_client(self, jwt_tokens: Callable[[Any], dict[str, str]]) -> Callable[[Any], Any]:
        """Factory: ``jwt_client(user)`` -> a DRF ``APIClient`` sending that user's access token.

        The header is ``AUTH_HEADER_NAME`` with ``AUTH_HEADER_TYPES[0]``, read
        when the client is made; the pair is on ``client.tokens``. Gives the
        test database access.
        """

        def make(user: Any) -> Any:
            return client_for(jwt_tokens(user))

        return make

    @pytest.fixture
    def assert_token_refused(self) -> Callable[[Any, str], None]:
        """``assert_token_refused(response, code)``: a 401 with DRF error code ``code``.

        The code is read from ``response.data["code"]`` (simplejwt's token
        errors) or ``response.data["detail"].code`` (DRF's own). A failure
        shows the status, the code found and the body.
        """
        return assert_refused
