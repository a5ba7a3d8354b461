"""Routes for the cookie transport's tests: the three cookie views and a profile.

tests/django/test_cookies.py calls them in process; tests/browser/urls.py serves them, beside the page that uses
them, to a real browser.
"""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView
from simplejwt_rs import views
from simplejwt_rs.authentication import JWTCookieAuthentication


class Profile(APIView):
    """GET: who is asking; POST (unsafe): change the first name, so that a forged request would show."""

    authentication_classes = [JWTCookieAuthentication]

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
    path("api/auth/", include(auth)),
    path("api/profile/", Profile.as_view()),
]
