"""Upstream's token views, with the serializer looked up when the request comes in.

Upstream reads ``TOKEN_*_SERIALIZER`` once at import; these read it per
request, and an upstream serializer named there is swapped for ours.
"""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt import views as upstream

from .authentication import auth_header_types
from .settings import get_ours


class TokenViewBase(upstream.TokenViewBase):
    serializer_setting = ""

    @property
    def _serializer_class(self) -> str:  # type: ignore[override]
        return get_ours(self.serializer_setting)

    def get_authenticate_header(self, request: Any) -> str:
        return f'{auth_header_types()[0]} realm="{self.www_authenticate_realm}"'


class TokenObtainPairView(TokenViewBase, upstream.TokenObtainPairView):
    serializer_setting = "TOKEN_OBTAIN_SERIALIZER"


class TokenRefreshView(TokenViewBase, upstream.TokenRefreshView):
    serializer_setting = "TOKEN_REFRESH_SERIALIZER"


class TokenObtainSlidingView(TokenViewBase, upstream.TokenObtainSlidingView):
    serializer_setting = "SLIDING_TOKEN_OBTAIN_SERIALIZER"


class TokenRefreshSlidingView(TokenViewBase, upstream.TokenRefreshSlidingView):
    serializer_setting = "SLIDING_TOKEN_REFRESH_SERIALIZER"


class TokenVerifyView(TokenViewBase, upstream.TokenVerifyView):
    serializer_setting = "TOKEN_VERIFY_SERIALIZER"


class TokenBlacklistView(TokenViewBase, upstream.TokenBlacklistView):
    serializer_setting = "TOKEN_BLACKLIST_SERIALIZER"


token_obtain_pair = TokenObtainPairView.as_view()
token_refresh = TokenRefreshView.as_view()
token_obtain_sliding = TokenObtainSlidingView.as_view()
token_refresh_sliding = TokenRefreshSlidingView.as_view()
token_verify = TokenVerifyView.as_view()
token_blacklist = TokenBlacklistView.as_view()
