from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("<str:uscc>/", views.enterprise_detail, name="detail"),
    path("<str:uscc>/contact/", views.enterprise_contact_edit, name="contact_edit"),
]
