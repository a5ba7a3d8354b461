import time

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient
from simplejwt_rs import settings as jwt_settings
from simplejwt_rs.signals import refresh_token_reused

from tests.django.helpers import PASSWORD, simple_jwt


class Clock:
    """The clock every token path reads (simplejwt_rs.settings.now), moved by hand."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(jwt_settings, "now", clock)
    return clock


@pytest.fixture
def user(db):
    return User.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def locked_group(db):
    return Group.objects.create(name="locked")


@pytest.fixture
def rotating():
    """Single-use rotation with reuse detection on."""
    with simple_jwt(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True):
        yield


@pytest.fixture
def reused_signals():
    """The refresh_token_reused signals sent during the test."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    refresh_token_reused.connect(receiver)
    yield received
    refresh_token_reused.disconnect(receiver)
