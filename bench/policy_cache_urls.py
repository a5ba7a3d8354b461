"""bench/policy_cache.py's routes: the protected GET, and a mint endpoint to get a token for the side's user."""

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.module_loading import import_string
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.settings import api_settings


def count_queries(get_response):
    """Middleware: with ``X-Count-Queries``, answer ``X-Queries``; otherwise nothing is counted."""

    def middleware(request):
        if "HTTP_X_COUNT_QUERIES" not in request.META:
            return get_response(request)
        with CaptureQueriesContext(connection) as ctx:
            response = get_response(request)
        response["X-Queries"] = str(len(ctx.captured_queries))
        return response

    return middleware


class Me(APIView):
    def get(self, request):
        return Response({"id": request.user.id})


class Mint(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        token_class = import_string(api_settings.TOKEN_OBTAIN_SERIALIZER).token_class
        refresh = token_class.for_user(User.objects.get(username="alice"))
        return Response({"access": str(refresh.access_token)})


urlpatterns = [path("api/me/", Me.as_view()), path("mint/", Mint.as_view())]
