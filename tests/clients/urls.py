"""dj-rest-auth's URLs, as its documentation routes them."""

from django.urls import include, path

urlpatterns = [path("auth/", include("dj_rest_auth.urls"))]
