"""A wrong-typed upstream setting at run time: ImproperlyConfigured naming it, never a TypeError deep inside.

``manage.py check`` reports it (E008); a project that runs anyway (checks skipped, a setting changed at run time)
used to get a TypeError from the middle of upstream's token code (``datetime + "5m"``) or an AttributeError
from the header parsing.  ``settings.get`` now refuses the value with the setting's name and how to write it.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from simplejwt_rs import settings as jwt_settings

from tests.django.helpers import PASSWORD, simple_jwt

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(timedelta(minutes=5)),
    st.just(("Bearer",)),
)
NAMES = ["ACCESS_TOKEN_LIFETIME", "REFRESH_TOKEN_LIFETIME", "AUTH_HEADER_TYPES", "LEEWAY", "AUTH_HEADER_NAME"]


def wrong(name, value):
    try:
        jwt_settings.UPSTREAM_TYPES[name](value)
    except (TypeError, ValueError):
        return True
    return False


@HYPOTHESIS
@given(name=st.sampled_from(NAMES), value=ANY)
@example(name="ACCESS_TOKEN_LIFETIME", value="5m")
@example(name="AUTH_HEADER_TYPES", value=5)
@example(name="REFRESH_TOKEN_LIFETIME", value="1d")
@example(name="LEEWAY", value="5")
def test_a_wrong_typed_setting_is_improperly_configured_naming_it(user, name, value):
    api = APIClient(raise_request_exception=True)
    pair = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data
    calls = {
        "obtain": lambda: api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json"),
        "request": lambda: api.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}"),
        "refresh": lambda: api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json"),
    }
    with simple_jwt(**{name: value}):
        bad = wrong(name, value)
        for where, call in calls.items():
            try:
                response = call()
            except ImproperlyConfigured as exc:
                assert bad, (where, name, value, exc)
                assert f"SIMPLE_JWT[{name!r}]" in str(exc), str(exc)
            else:
                assert response.status_code < 500, (where, name, value)
        if bad:
            with pytest.raises(ImproperlyConfigured, match=name):
                jwt_settings.get(name)


def test_token_type_claim_none_is_refused_not_a_token_without_a_type(user):
    """Upstream accepts TOKEN_TYPE_CLAIM=None (tokens without a type: a refresh token would authenticate as an
    access token); here it is the wrong type (docs/security.md, difference 21), at check and at run time."""
    from simplejwt_rs.tokens import RefreshToken

    with simple_jwt(TOKEN_TYPE_CLAIM=None):
        with pytest.raises(ImproperlyConfigured, match="TOKEN_TYPE_CLAIM"):
            RefreshToken.for_user(user)
        api = APIClient(raise_request_exception=True)
        with pytest.raises(ImproperlyConfigured, match="TOKEN_TYPE_CLAIM"):
            api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json")
