"""A ninja API (token router, sync and async operations guarded by each class) and adrf async views."""

from adrf.views import APIView as AsyncAPIView
from django.urls import path
from ninja import NinjaAPI
from rest_framework.response import Response
from simplejwt_rs.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from simplejwt_rs.ninja import (
    AsyncJWTAuth,
    AsyncJWTTokenUserAuth,
    JWTAuth,
    JWTTokenUserAuth,
    handle_refusals,
    token_router,
)

api = handle_refusals(NinjaAPI())
api.add_router("/token", token_router)


def _me(request):
    return {"user": type(request.auth).__name__, "id": str(request.auth.id)}


@api.get("/me/sync", auth=JWTAuth())
def me_sync(request):
    return _me(request)


@api.get("/me/async", auth=AsyncJWTAuth())
async def me_async(request):
    return _me(request)


@api.get("/me/token-user/sync", auth=JWTTokenUserAuth())
def me_token_user_sync(request):
    return _me(request)


@api.get("/me/token-user/async", auth=AsyncJWTTokenUserAuth())
async def me_token_user_async(request):
    return _me(request)


@api.post("/deactivate/sync", auth=JWTAuth())
def deactivate_sync(request):
    request.auth.is_active = False
    request.auth.save()
    return {}


@api.post("/deactivate/async", auth=AsyncJWTAuth())
async def deactivate_async(request):
    request.auth.is_active = False
    await request.auth.asave()
    return {}


class AsyncMe(AsyncAPIView):
    authentication_classes = [JWTAuthentication]

    async def get(self, request):
        return Response({"user": type(request.user).__name__, "id": str(request.user.id)})


class AsyncTokenUserMe(AsyncAPIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    async def get(self, request):
        return Response({"user": type(request.user).__name__, "id": str(request.user.id)})


urlpatterns = [
    path("ninja/", api.urls),
    path("adrf/me/", AsyncMe.as_view()),
    path("adrf/me/token-user/", AsyncTokenUserMe.as_view()),
]
