"""The ASGI test project with POLICY_NEAR_CACHE_USERS (and so POLICY_CACHE: ASGI_POLICY_CACHE must be set)."""

from tests.asgi.project.settings import *  # noqa: F403
from tests.asgi.project.settings import SIMPLE_JWT

SIMPLE_JWT = {**SIMPLE_JWT, "POLICY_NEAR_CACHE_USERS": True}
