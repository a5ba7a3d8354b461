"""The measured endpoints of bench/ninja_async.py: a GET that authenticates and answers the user's id."""

from django.urls import path
from ninja import NinjaAPI

from bench.ninja_settings import SIDE

api = NinjaAPI()

if SIDE == "ours":
    from simplejwt_rs.ninja import AsyncJWTAuth, AsyncJWTTokenUserAuth, JWTAuth, handle_refusals

    handle_refusals(api)

    @api.get("/async", auth=AsyncJWTAuth())
    async def ours_async(request):
        return {"id": str(request.auth.id)}

    @api.get("/async-token-user", auth=AsyncJWTTokenUserAuth())
    async def ours_async_token_user(request):
        return {"id": str(request.auth.id)}

    @api.get("/sync", auth=JWTAuth())
    def ours_sync(request):
        return {"id": str(request.auth.id)}

else:
    from ninja_jwt.authentication import AsyncJWTAuth as NinjaJWTAsyncJWTAuth

    @api.get("/async", auth=NinjaJWTAsyncJWTAuth())
    async def ninja_jwt_async(request):
        return {"id": str(request.auth.id)}


urlpatterns = [path("api/", api.urls)]
