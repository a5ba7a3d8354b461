"""Every token view (upstream's and ours) and each of our authentication classes, for the OpenAPI schema test."""

from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as upstream_views
from simplejwt_rs import views
from simplejwt_rs.authentication import JWTAuthentication, JWTCookieAuthentication, JWTStatelessUserAuthentication


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


auth = [
    path("login/", views.CookieTokenObtainPairView.as_view()),
    path("refresh/", views.CookieTokenRefreshView.as_view()),
    path("logout/", views.CookieTokenBlacklistView.as_view()),
]

urlpatterns = [
    path("api/token/", upstream_views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", upstream_views.TokenRefreshView.as_view()),
    path("api/token/verify/", upstream_views.TokenVerifyView.as_view()),
    path("api/token/blacklist/", upstream_views.TokenBlacklistView.as_view()),
    path("api/token/sliding/", upstream_views.TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", upstream_views.TokenRefreshSlidingView.as_view()),
    path("rs/token/", views.TokenObtainPairView.as_view()),
    path("rs/token/refresh/", views.TokenRefreshView.as_view()),
    path("api/auth/", include(auth)),
    path("api/me/", Me.as_view()),
    path("api/me/stateless/", StatelessMe.as_view()),
    path("api/profile/", Profile.as_view()),
]
