"""The simulators' HTTP endpoints, mounted under /mock/ only when the sandbox is installed."""

from django.urls import include, path

urlpatterns = [
    path("departments/", include("sandbox.departments.urls")),
    path("treasury/", include("sandbox.treasury.urls")),
    path("partner/", include("sandbox.partners.urls")),
]
