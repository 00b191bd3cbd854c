from django.urls import path

from . import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.new_dispute, name="new"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("queue/<int:pk>/", views.detail, name="handle"),
    path("queue/<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
