from django.urls import path

from . import views
from .commitments import views as commitment_views
from .inspections import public as draw_views
from .inspections import views as inspection_views
from .lists import views as list_views
from .records import views as record_views
from .repair import views as repair_views

app_name = "credit"
urlpatterns = [
    path("records/", record_views.record_list, name="records"),
    path("records/new/", record_views.record_new, name="record_new"),
    path("lists/", list_views.list_entries, name="lists"),
    path("commitments/", commitment_views.commitment_list, name="commitments"),
    path("commitments/<int:pk>/", commitment_views.commitment_detail, name="commitment"),
    path(
        "commitments/<int:pk>/<slug:action>/",
        commitment_views.commitment_action,
        name="commitment_action",
    ),
    path("enterprises/<str:uscc>/", views.enterprise_credit, name="enterprise"),
    path("public/<str:uscc>/", views.public_credit, name="public"),
    path("campaigns/", inspection_views.campaign_list, name="campaigns"),
    path("campaigns/new/", inspection_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", inspection_views.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:pk>/<slug:action>/",
        inspection_views.campaign_action,
        name="campaign_action",
    ),
    path(
        "inspections/<int:pk>/result/", inspection_views.selection_result, name="selection_result"
    ),
    path(
        "inspections/<int:pk>/recuse/", inspection_views.selection_recuse, name="selection_recuse"
    ),
    path("draws/", draw_views.draw_index, name="draws"),
    path("draws/<int:pk>/", draw_views.draw_public, name="draw_public"),
    path("draws/<int:pk>/<str:name>", draw_views.draw_file, name="draw_file"),
    path("draws/<int:pk>/verify/", inspection_views.draw_verify, name="draw_verify"),
    path("records/<int:record>/repair/", repair_views.repair_new, name="repair_new"),
    path("repairs/", repair_views.repair_list, name="repairs"),
    path("repairs/<int:pk>/decide/", repair_views.repair_decide, name="repair_decide"),
]
