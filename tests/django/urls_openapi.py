"""Every token view (upstream's and ours) and each of our authentication classes, for the OpenAPI schema test."""

from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView
from simplejwt_rs import views
from simplejwt_rs.authentication import JWTAuthentication, JWTCookieAuthentication, JWTStatelessUserAuthentication

from tests.django import urls, urls_cookies


class Me(APIView):
    authentication_classes = [JWTAuthentication]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({})


class StatelessMe(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({})


class Profile(APIView):
    authentication_classes = [JWTCookieAuthentication]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({})


urlpatterns = [
    *urls.upstream_token_views,
    path("rs/token/", views.TokenObtainPairView.as_view()),
    path("rs/token/refresh/", views.TokenRefreshView.as_view()),
    path("api/auth/", include(urls_cookies.auth)),
    path("api/me/", Me.as_view()),
    path("api/me/stateless/", StatelessMe.as_view()),
    path("api/profile/", Profile.as_view()),
]
