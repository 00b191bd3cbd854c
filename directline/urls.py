from django.urls import path

from . import views

app_name = "directline"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.new_request, name="new"),
    path("queue/", views.queue, name="queue"),
    path("answers/", views.public_answers, name="answers"),
    path("<int:pk>/", views.detail, name="detail"),
    path("queue/<int:pk>/", views.detail, name="handle"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:pk>/<slug:act>/", views.act, name="act"),
]
