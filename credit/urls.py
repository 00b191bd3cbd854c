from django.urls import path

from . import views, views_inspections

app_name = "credit"
urlpatterns = [
    path("records/", views.record_list, name="records"),
    path("records/new/", views.record_new, name="record_new"),
    path("lists/", views.list_entries, name="lists"),
    path("commitments/", views.commitment_list, name="commitments"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment"),
    path("commitments/<int:pk>/<slug:action>/", views.commitment_action, name="commitment_action"),
    path("enterprises/<str:uscc>/", views.enterprise_credit, name="enterprise"),
    path("public/<str:uscc>/", views.public_credit, name="public"),
    path("campaigns/", views_inspections.campaign_list, name="campaigns"),
    path("campaigns/new/", views_inspections.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views_inspections.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:pk>/<slug:action>/",
        views_inspections.campaign_action,
        name="campaign_action",
    ),
    path(
        "inspections/<int:pk>/result/", views_inspections.selection_result, name="selection_result"
    ),
    path(
        "inspections/<int:pk>/recuse/", views_inspections.selection_recuse, name="selection_recuse"
    ),
    path("draws/<int:pk>/verify/", views_inspections.draw_verify, name="draw_verify"),
    path("records/<int:record>/repair/", views_inspections.repair_new, name="repair_new"),
    path("repairs/", views_inspections.repair_list, name="repairs"),
    path("repairs/<int:pk>/decide/", views_inspections.repair_decide, name="repair_decide"),
]
