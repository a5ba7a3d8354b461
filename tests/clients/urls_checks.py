"""A URLconf of subclasses of upstream's classes, for the PATCH_UPSTREAM_CLASSES system-check tests only."""

from dj_rest_auth.jwt_auth import CookieTokenRefreshSerializer
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import authentication as up_auth
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt import views as up_views


class HeaderOrCookieAuthentication(up_auth.JWTAuthentication):
    """Inherits get_user and get_validated_token: routed through ours with the opt-in."""

    def authenticate(self, request):
        return super().authenticate(request)


class OwnUserAuthentication(up_auth.JWTAuthentication):
    """Looks the user up itself: no policy, opt-in or not."""

    def get_user(self, validated_token):
        return self.user_model.objects.get(pk=validated_token["user_id"])


class CookieRefreshSerializer(up_serializers.TokenRefreshSerializer):
    def validate(self, attrs):
        return super().validate(attrs)


class OwnRefreshSerializer(up_serializers.TokenRefreshSerializer):
    def validate(self, attrs):
        return {"access": str(self.token_class(attrs["refresh"]).access_token)}


class ProjectRefreshToken(up_tokens.RefreshToken):
    pass


class ProjectTokenRefreshSerializer(up_serializers.TokenRefreshSerializer):
    token_class = ProjectRefreshToken


class ProjectCookieRefreshSerializer(CookieTokenRefreshSerializer):
    """The project's own class built on an installed package's (dj-rest-auth's): no import of the project's to
    change, so E020 (naming dj_rest_auth) and the opt-in, not E015."""


def authenticated_with(cls):
    return type(f"View{cls.__name__}", (APIView,), {"authentication_classes": [cls], "get": lambda s, r: Response({})})


urlpatterns = [
    path(
        "upstream/refresh/", up_views.TokenRefreshView.as_view(serializer_class=up_serializers.TokenRefreshSerializer)
    ),
    path("upstream/me/", authenticated_with(up_auth.JWTAuthentication).as_view()),
    path("good/refresh/", up_views.TokenRefreshView.as_view(serializer_class=CookieRefreshSerializer)),
    path("good/me/", authenticated_with(HeaderOrCookieAuthentication).as_view()),
    path("bad/refresh/", up_views.TokenRefreshView.as_view(serializer_class=OwnRefreshSerializer)),
    path("bad/me/", authenticated_with(OwnUserAuthentication).as_view()),
    path("dj/refresh/", up_views.TokenRefreshView.as_view(serializer_class=ProjectCookieRefreshSerializer)),
    path("token-class/refresh/", up_views.TokenRefreshView.as_view(serializer_class=ProjectTokenRefreshSerializer)),
]
