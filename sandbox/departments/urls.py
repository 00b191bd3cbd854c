"""The simulated departments' HTTP interfaces, under /mock/departments/ (sandbox/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "<slug:department>/<str:interface>/",
        views.department_interface,
        name="mock-department",
    ),
]
