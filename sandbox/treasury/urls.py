"""The simulated treasury's HTTP interface, mounted at /mock/treasury/ (sandbox/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.payments, name="mock-treasury-payments"),
    path("batches/", views.batches, name="mock-treasury-batches"),
    path("payments/<str:key>/", views.payment_status, name="mock-treasury-status"),
    path("collections/", views.collections, name="mock-treasury-collections"),
    path("collections/<str:key>/", views.collection_status, name="mock-treasury-collection-status"),
]
