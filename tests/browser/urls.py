"""The browser test's routes: the cookie views, a profile API, and the page (app.html) that uses them."""

from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView
from simplejwt_rs import views

PAGE = (Path(__file__).parent / "app.html").read_text()


def page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


class Profile(APIView):
    """GET: who is asking; POST (an unsafe method): change the first name, so that a forged request would show."""

    def get(self, request):
        return Response({"username": request.user.get_username(), "first_name": request.user.first_name})

    def post(self, request):
        request.user.first_name = str(request.data.get("first_name", ""))[:150]
        request.user.save(update_fields=["first_name"])
        return Response({"first_name": request.user.first_name})


auth = [
    path("login/", views.CookieTokenObtainPairView.as_view()),
    path("refresh/", views.CookieTokenRefreshView.as_view()),
    path("logout/", views.CookieTokenBlacklistView.as_view()),
]

urlpatterns = [
    path("", page),
    path("api/auth/", include(auth)),
    path("api/profile/", Profile.as_view()),
]
