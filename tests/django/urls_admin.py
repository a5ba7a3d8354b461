"""tests/django/urls.py plus Django's admin at /admin/ (the admin tests only)."""

from django.contrib import admin
from django.urls import path

from tests.django.urls import urlpatterns as token_urls

urlpatterns = [*token_urls, path("admin/", admin.site.urls)]
