from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views


@api_view(["GET"])
def me(request):
    return Response({"username": request.user.get_username()})


@api_view(["POST"])
@permission_classes([IsAdminUser])
def deactivate(request, username):
    updated = get_user_model().objects.filter(username=username).update(is_active=False)
    return Response({"deactivated": username}, status=200 if updated else 404)


urlpatterns = [
    # Upstream's views, unchanged: they take the serializers named in SIMPLE_JWT.
    path("api/token/", jwt_views.TokenObtainPairView.as_view()),
    path("api/token/refresh/", jwt_views.TokenRefreshView.as_view()),
    path("api/token/verify/", jwt_views.TokenVerifyView.as_view()),
    path("api/me/", me),
    path("api/users/<str:username>/deactivate/", deactivate),
]

if not settings.STOCK:  # (the stock project runs without simplejwt_rs installed)
    from simplejwt_rs.views import JWKSView

    # The public keys of SIMPLE_JWT["KEYS"], for other services to verify our tokens (see the README's
    # "Rotating keys"); an empty set while the demo signs with HS256.
    urlpatterns.append(path(".well-known/jwks.json", JWKSView.as_view()))
