from django.urls import path

from . import views

# Included by the composition root (qinqing/urls.py) at /me/, names un-namespaced.
urlpatterns = [
    path("", views.profile, name="person_profile"),
    path("records/", views.check_records, name="person_check_records"),
    path("data-access/", views.data_access, name="person_data_access"),
    path("subsidies/", views.subsidies, name="person_subsidies"),
    path("subsidies/<int:pk>/", views.claim, name="person_claim"),
    path("subsidies/check/", views.check_subsidies, name="person_check_subsidies"),
    path("subsidies/claim/<slug:code>/", views.claim_policy, name="person_claim_policy"),
]
