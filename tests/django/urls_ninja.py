"""A django-ninja API guarded by simplejwt_rs.ninja's classes, with its token router; and adrf async views.

The routes of tests/django/test_ninja.py (in process) and of tests/asgi/test_uvicorn.py (tests/asgi/project
serves these same URLs under uvicorn).
"""

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
    build_router,
    handle_refusals,
    token_router,
)

api = handle_refusals(NinjaAPI(urls_namespace="ninja-tests"))
api.add_router("/token", token_router)


def _who(request):
    user = request.auth
    return {"user": type(user).__name__, "id": str(user.id), "token_type": request.jwt_token.token_type}


@api.get("/me/sync", auth=JWTAuth())
def me_sync(request):
    return _who(request)


@api.get("/me/async", auth=AsyncJWTAuth())
async def me_async(request):
    return _who(request)


@api.get("/me/stateless/sync", auth=JWTTokenUserAuth())
def me_stateless_sync(request):
    return _who(request)


@api.get("/me/stateless/async", auth=AsyncJWTTokenUserAuth())
async def me_stateless_async(request):
    return _who(request)


@api.get("/me/async-guarding-sync", auth=AsyncJWTAuth())
def me_async_class_sync_view(request):
    return _who(request)


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


bare = NinjaAPI(urls_namespace="ninja-bare")  # no handle_refusals


@bare.get("/me", auth=JWTAuth())
def bare_me(request):
    return _who(request)


class AsyncMe(AsyncAPIView):
    authentication_classes = [JWTAuthentication]

    async def get(self, request):
        return Response({"username": request.user.get_username()})


class AsyncStatelessMe(AsyncAPIView):
    authentication_classes = [JWTStatelessUserAuthentication]

    async def get(self, request):
        return Response({"user": type(request.user).__name__})


sliding = handle_refusals(NinjaAPI(urls_namespace="ninja-sliding"))
sliding.add_router("/token", build_router(sliding=True))

urlpatterns = [
    path("sliding/", sliding.urls),
    path("ninja/", api.urls),
    path("bare/", bare.urls),
    path("adrf/me/", AsyncMe.as_view()),
    path("adrf/me/stateless/", AsyncStatelessMe.as_view()),
]
