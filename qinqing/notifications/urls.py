from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("mark-read/", views.mark_read, name="mark_read"),
    path("preferences/", views.preferences, name="preferences"),
]
