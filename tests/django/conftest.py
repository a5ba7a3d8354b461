import time

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient
from simplejwt_rs import settings as jwt_settings

from tests.django.helpers import PASSWORD


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
