from django.urls import path

from . import official_views, views

app_name = "policies"
urlpatterns = [
    path("", views.policy_catalog, name="catalog"),
    path("calculator/", views.policy_calculator, name="calculator"),
    path("watches/", views.my_watches, name="watches"),
    path("manage/", official_views.department_policies, name="official_list"),
    path("manage/new/", official_views.new_policy, name="official_new_policy"),
    path("manage/versions/<int:pk>/", official_views.version_page, name="official_version"),
    path(
        "manage/versions/<int:pk>/cases/<int:case_pk>/",
        official_views.edit_case,
        name="official_case",
    ),
    path("manage/versions/<int:pk>/edit/", official_views.edit_version, name="official_edit"),
    path("manage/<slug:code>/new-version/", official_views.new_version, name="official_new"),
    path("manage/<slug:code>/first-version/", official_views.first_version, name="official_first"),
    path("<slug:code>/watch/", views.policy_watch, name="watch"),
    path("<slug:code>/", views.policy_detail, name="detail"),
]
