"""A route authenticating with upstream's JWTStatelessUserAuthentication, for the opt-in's check tests only."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import authentication as up_auth


class StatelessView(APIView):
    authentication_classes = [up_auth.JWTStatelessUserAuthentication]

    def get(self, request):
        return Response({})


urlpatterns = [path("upstream/stateless/", StatelessView.as_view())]
