"""The app's URLs plus the framework floor: the cheapest Django view there is, served by the
same gunicorn and middleware as the app, so that the load test's figures can be read as
multiples of what the framework itself costs on this machine (bench/floor.py)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from qinqing.urls import urlpatterns as app_urlpatterns


def floor(request: HttpRequest) -> JsonResponse:
    """No database, no template, no session read: the framework's own cost per request."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *app_urlpatterns]
