"""A project's own obtain serializer, built on upstream's as upstream's documentation shows (a claim added in
``get_token``), and the URLs a project routes it at: upstream's view given it, upstream's view reading
``TOKEN_OBTAIN_SERIALIZER``, and our sessions views."""

from django.urls import include, path
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import views as up_views
from simplejwt_rs import views


class ProjectObtainSerializer(up_serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token["name"] = user.get_username()
        return token


urlpatterns = [
    path("auth/", include("dj_rest_auth.urls")),
    path("project/token/", up_views.TokenObtainPairView.as_view(serializer_class=ProjectObtainSerializer)),
    path("project/setting/", up_views.TokenObtainPairView.as_view()),
    path("project/sessions/<str:family>/", views.SessionView.as_view()),
    path("ours/token/", views.TokenObtainPairView.as_view()),
]
