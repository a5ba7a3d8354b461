"""A URLconf that routes tokens past simplejwt_rs (for the system-check tests only)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import authentication as upstream_auth
from rest_framework_simplejwt import serializers as upstream_serializers
from rest_framework_simplejwt import views as upstream_views
from simplejwt_rs import serializers


class UpstreamAuthenticated(APIView):
    authentication_classes = [upstream_auth.JWTAuthentication]

    def get(self, request):
        return Response({})


urlpatterns = [
    # Fine: upstream's view, serializer from the setting (routed to ours by the app), or ours given.
    path("ok/refresh/", upstream_views.TokenRefreshView.as_view()),
    path("ok/verify/", upstream_views.TokenVerifyView.as_view(serializer_class=serializers.TokenVerifySerializer)),
    # Bypasses: upstream's serializer handed to the view, and upstream's authentication on a view.
    path(
        "bad/refresh/",
        upstream_views.TokenRefreshView.as_view(serializer_class=upstream_serializers.TokenRefreshSerializer),
    ),
    path("bad/me/", UpstreamAuthenticated.as_view()),
]
