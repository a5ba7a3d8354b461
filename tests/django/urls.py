from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as upstream_views
from simplejwt_rs import views
from simplejwt_rs.authentication import JWTStatelessUserAuthentication


class Me(APIView):
    def get(self, request):
        return Response({"username": request.user.get_username(), "token_type": request.auth.token_type})


class StatelessMe(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    def get(self, request):
        return Response({"user": type(request.user).__name__, "id": request.user.id})


# Upstream's views, as a migrated project keeps them: the serializers come from SIMPLE_JWT.
upstream_token_views = [
    path("api/token/", upstream_views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", upstream_views.TokenRefreshView.as_view()),
    path("api/token/verify/", upstream_views.TokenVerifyView.as_view()),
    path("api/token/blacklist/", upstream_views.TokenBlacklistView.as_view()),
    path("api/token/sliding/", upstream_views.TokenObtainSlidingView.as_view()),
    path("api/token/sliding/refresh/", upstream_views.TokenRefreshSlidingView.as_view()),
]

urlpatterns = [
    *upstream_token_views,
    # Ours: the serializer is looked up per request.
    path("rs/token/", views.TokenObtainPairView.as_view()),
    path("rs/token/refresh/", views.TokenRefreshView.as_view()),
    path("rs/token/verify/", views.TokenVerifyView.as_view()),
    path("api/me/", Me.as_view()),
    path(".well-known/jwks.json", views.JWKSView.as_view()),
    path("api/me/stateless/", StatelessMe.as_view()),
    path("api/sessions/", views.SessionsView.as_view()),
    path("api/sessions/<str:family>/", views.SessionView.as_view()),
]
