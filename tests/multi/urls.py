"""The multi-server project's routes: tokens, two protected GETs, log out everywhere, and test-only controls."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as upstream_views
from simplejwt_rs import views
from simplejwt_rs.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from simplejwt_rs.errors import Refuse
from simplejwt_rs.policy_cache import near


def not_locked(user):
    """USER_AUTHENTICATION_RULE: active, and not in the 'locked' group (refused with a code of its own)."""
    if user is not None and user.groups.filter(name="locked").exists():
        raise Refuse("This account is locked.", "account_locked")
    return user is not None and user.is_active


def count_queries(get_response):
    """Middleware: ``X-Queries``, the number of SQL queries the request made; ``X-Near-Cache``, up or down.

    Counted by an execute wrapper, which (unlike ``CaptureQueriesContext``) opens no connection of its own:
    with the database down, the request itself must meet the outage (tests/multi/test_database_restart.py).
    """

    def middleware(request):
        made = []

        def count(execute, sql, params, many, context):
            made.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = get_response(request)
        response["X-Queries"] = str(len(made))
        near_cache = near._near  # this process's policy near cache: its invalidation channel up or not
        response["X-Near-Cache"] = "up" if near_cache is not None and near_cache.up else "down"
        return response

    return middleware


class StatelessMe(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    def get(self, request):
        return Response({"id": request.user.id})


class Me(APIView):
    authentication_classes = [JWTAuthentication]

    def get(self, request):
        return Response({"username": request.user.get_username(), "is_staff": request.user.is_staff})


class Control(APIView):
    """Test only: change a user as an admin would, on whichever server this request reaches."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request, action, username):
        user = User.objects.get(username=username)
        if action == "deactivate":
            user.is_active = False
            user.save()
        elif action == "lock":
            user.groups.add(Group.objects.get_or_create(name="locked")[0])
        elif action == "staff":  # a field no rule reads, changed through save()
            user.is_staff = True
            user.save()
        elif action == "password":
            user.set_password(request.data["password"])
            user.save()
        else:
            return Response(status=404)
        return Response({"done": action})


class Create(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        names = request.data["usernames"]
        password = make_password(request.data["password"])
        User.objects.bulk_create([User(username=name, password=password) for name in names])
        return Response({"created": len(names)})


urlpatterns = [
    path("api/token/", upstream_views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", upstream_views.TokenRefreshView.as_view()),
    path("api/token/verify/", upstream_views.TokenVerifyView.as_view()),
    path("api/token/blacklist/", upstream_views.TokenBlacklistView.as_view()),
    path("api/token/sliding/", views.TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", views.TokenRefreshSlidingView.as_view()),
    path("api/token/revoke/", views.revoke_user_tokens),
    path("api/me/", Me.as_view()),
    path(".well-known/jwks.json", views.JWKSView.as_view()),
    path("api/me/stateless/", StatelessMe.as_view()),
    path("control/users/", Create.as_view()),
    path("control/<str:action>/<str:username>/", Control.as_view()),
]
