from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_catalog, name="catalog"),
    path("calculator/", views.policy_calculator, name="calculator"),
    path("<slug:code>/", views.policy_detail, name="detail"),
]
