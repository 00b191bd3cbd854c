from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<slug:key>/", views.section, name="section"),
    path(
        "figures/<slug:key>.<str:export_format>",
        views.export,
        name="export",
    ),
]
