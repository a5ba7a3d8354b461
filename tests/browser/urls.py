"""The browser test's routes: the cookie views and the profile API of tests/django/urls_cookies.py, and the page
(app.html) that uses them."""

from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from tests.django import urls_cookies

PAGE = (Path(__file__).parent / "app.html").read_text()


def page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page), *urls_cookies.urlpatterns]
