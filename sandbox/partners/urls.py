"""The simulated partner's endpoints, mounted at /mock/partner/ (sandbox/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.webhooks, name="mock-partner-webhooks"),
]
