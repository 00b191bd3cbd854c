from django.urls import path

from . import views

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
]
