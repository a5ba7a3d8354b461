"""Refresh in a straight line (issue 20 item 2): verify in Rust -> the callback's whole admission -> Rust mints.

The callback's transaction begins and ends inside it: when it hands its answer back to the core (which then
mints), no transaction is open. The successor's jti and exp are chosen before the call, so its outstanding row
matches the minted token exactly. On SQLite and on PostgreSQL (`make test-pg` runs it again).
"""

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch
from simplejwt_rs import backends, store
from simplejwt_rs.models import RotatedRefreshToken
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import code, obtain, refresh, simple_jwt

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


class Watched:
    """A codec whose ``refresh`` notes, as each callback returns to the core, whether a transaction is open."""

    def __init__(self, codec, seen):
        self._codec = codec
        self._seen = seen

    def refresh(self, raw, admit, **kwargs):
        def watched(claims):
            try:
                return admit(claims)
            finally:
                self._seen.append(connection.in_atomic_block)

        return self._codec.refresh(raw, watched, **kwargs)


@pytest.fixture
def seen(monkeypatch):
    seen = []
    real = backends.TokenBackend.minting_codec_for
    monkeypatch.setattr(backends.TokenBackend, "minting_codec_for", lambda self, raw: Watched(real(self, raw), seen))
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "settings",
    [ROTATING, {"ROTATE_REFRESH_TOKENS": True}, {}],
    ids=["single-use rotation", "rotation", "no rotation"],
)
def test_no_transaction_is_open_when_the_core_mints(user, seen, settings):
    api = APIClient()
    with simple_jwt(**settings):
        first = obtain(api).data["refresh"]
        response = refresh(api, first)
        assert response.status_code == 200, response.data
        if settings == ROTATING:
            assert code(refresh(api, first)) == "token_reused"  # Reused inside the callback: rolled back, revoked
    assert seen and not any(seen), seen
    if settings:
        # The successor's row was written before it was minted, from the jti and exp chosen beforehand.
        successor = RefreshToken(response.data["refresh"], verify=False)
        row = OutstandingToken.objects.get(jti=successor["jti"])
        assert row.expires_at == datetime_from_epoch(successor["exp"])
        assert row.token == store.not_a_token(successor["jti"])
    if settings == ROTATING:
        consumed = RotatedRefreshToken.objects.get(parent_jti=RefreshToken(first, verify=False)["jti"])
        assert consumed.jti == successor["jti"]


@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_leaves_no_transaction_open_either(user, seen):
    api = APIClient()
    with simple_jwt(**ROTATING):
        first = obtain(api).data["refresh"]
        user.is_active = False
        user.save()
        assert code(refresh(api, first)) == "no_active_account"  # refused by the policy, inside the callback
    assert seen == [False]
    assert not RotatedRefreshToken.objects.exists()  # nothing consumed
